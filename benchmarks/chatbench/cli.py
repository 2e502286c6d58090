"""`python -m chatbench` (what `make bench` runs): every system under test in turn, then the
report. Everything it starts listens on 127.0.0.1 and is stopped before it returns."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from checkout import ROOT
from devstack import machine
from devstack.process import ManagedProcess

from chatbench import peer, profiler, stack
from chatbench.clients import make_transport
from chatbench.fanout import FanoutResult, run_fanout
from chatbench.idle import measure_idle
from chatbench.org.bench import run_org
from chatbench.org.plan import QUICK as ORG_QUICK
from chatbench.org.plan import OrgPlan
from chatbench.plan import BASELINE, CLUSTERS, PEER, QUICK, SYSTEMS, Plan
from chatbench.procstats import ProcessGroup, ServerProcesses
from chatbench.pubsub import PubSubTarget
from chatbench.pulumi_timing import stacks, time_stack
from chatbench.report import Report, render, write_json
from chatbench.server_run import ServerRun
from chatbench.socketio import SocketIOTarget
from chatbench.websocket import Target

RESULTS = ROOT / "benchmarks" / "results"
PLANS = ("fanout", "org")


def parse_args(argv: list[str] | None) -> tuple[Plan, argparse.Namespace]:
    parser = argparse.ArgumentParser(prog="chatbench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="a few clients for a couple of seconds (make test)"
    )
    parser.add_argument("--clients", type=int, help="subscribed WebSocket clients (default 500)")
    parser.add_argument("--rooms", type=int, help="rooms the clients are spread over (default 5)")
    parser.add_argument("--rates", help="comma-separated msgs/s over all rooms, one per step")
    parser.add_argument("--step-seconds", type=float, help="length of each step (default 3)")
    parser.add_argument("--idle", type=int, help="idle sockets for the memory measurement (default 2000)")
    parser.add_argument("--processes", type=int, help="load-generator processes (default 1)")
    parser.add_argument(
        "--systems",
        "--servers",
        help=f"systems to run, of {','.join(SYSTEMS)} (the default: all) and {','.join(CLUSTERS)} "
        "(the backend on a Redis Cluster of 1 or 3 masters); any other name is an ASGI server",
    )
    parser.add_argument(
        "--appendfsync",
        choices=("always", "everysec", "no"),
        help="the Redis AOF fsync policy of the backend and the peer (default always, as deployed)",
    )
    parser.add_argument(
        "--plans",
        default=",".join(PLANS),
        help="which plans run, of fanout (5 rooms of 100) and org (many small rooms); default: both",
    )
    parser.add_argument(
        "--org-sizes", help="comma-separated room counts of the org plan (default 100,2000,10000)"
    )
    parser.add_argument("--no-pulumi", action="store_true", help="skip timing the Pulumi program")
    parser.add_argument("--profile", action="store_true", help="py-spy the workers during the load steps")
    parser.add_argument("--json", type=Path, help="where to write the JSON (default benchmarks/results/)")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else Plan()
    changes: dict[str, Any] = {
        "clients": args.clients,
        "rooms": args.rooms,
        "step_seconds": args.step_seconds,
        "idle_connections": args.idle,
        "processes": args.processes,
        "rates": tuple(float(r) for r in args.rates.split(",")) if args.rates else None,
        "systems": tuple(args.systems.split(",")) if args.systems else None,
        "pulumi": False if args.no_pulumi else None,
        "appendfsync": args.appendfsync,
    }
    plan = dataclasses.replace(plan, **{k: v for k, v in changes.items() if v is not None})
    if plan.clients < plan.rooms or plan.rooms < 1:
        parser.error("--clients must be at least --rooms, and --rooms at least 1")
    if plan.processes < 1:
        parser.error("--processes must be at least 1")
    if unknown := set(args.plans.split(",")) - set(PLANS):
        parser.error(f"unknown plans {sorted(unknown)}: choose of {','.join(PLANS)}")
    return plan, args


def org_plan(args: argparse.Namespace) -> OrgPlan:
    plan = ORG_QUICK if args.quick else OrgPlan()
    if args.org_sizes:
        sizes = tuple(int(size) for size in args.org_sizes.split(","))
        plan = dataclasses.replace(
            plan, sizes=sizes, peer_sizes=tuple(s for s in plan.peer_sizes if s in sizes)
        )
    return plan


def bench_backend(plan: Plan, workdir: Path, name: str, profile_dir: Path | None) -> ServerRun:
    """The backend on ASGI server `name`, or on uvicorn over a Redis Cluster (plan.CLUSTERS)."""
    masters = CLUSTERS.get(name)
    asgi_server = "uvicorn" if masters else name
    store_started = (
        stack.cluster(workdir / name, masters, plan.appendfsync)
        if masters
        else stack.redis(workdir / name, plan.appendfsync)
    )
    with (
        store_started as redis,
        stack.backend(workdir, redis.url, asgi_server, name, cluster=bool(masters)) as backend,
    ):
        if asgi_server not in backend.server_header and backend.server_header != "(none)":
            # The backend ignored ASGI_SERVER: measuring would only repeat another server's run.
            return ServerRun(
                name,
                backend.server_header,
                skipped=f"the backend answered as {backend.server_header!r}",
            )
        room_names, idle_rooms = stack.spread(redis, plan), plan.idle_room_names()
        users = [f"reader{i}" for i in range(min(plan.users, plan.clients))]
        senders = [f"sender{i}" for i in range(plan.rooms)]
        cookies = asyncio.run(stack.register(backend.url, users + senders))
        asyncio.run(stack.create_rooms(backend.url, cookies[0], [*room_names, *idle_rooms]))
        ws_url = backend.url.replace("http://", "ws://") + "/api/ws"
        target = Target(
            ws_url, stack.ORIGIN, tuple(cookies[: len(users)]), tuple(cookies[len(users) :]), room_names
        )
        run = ServerRun(name, backend.server_header)
        system = f"backend ({asgi_server}{f', Redis Cluster of {masters}' if masters else ''})"
        return measure(run, plan, system, target, backend.server, stack.processes(redis), profile_dir)


def bench_peer(plan: Plan, workdir: Path) -> ServerRun:
    description = peer.describe()  # fails first, saying what to install, when npm ci has not run
    with (
        stack.redis(workdir / PEER, plan.appendfsync) as redis,
        peer.socketio(workdir, redis.url) as server,
    ):
        target = SocketIOTarget(server.ws_url, plan.room_names())
        return measure(
            ServerRun(PEER, description), plan, "socket.io", target, server, stack.processes(redis), None
        )


def measure(
    run: ServerRun,
    plan: Plan,
    system: str,
    target: Target | SocketIOTarget,
    process: ManagedProcess,
    redis: ProcessGroup,
    profile_dir: Path | None,
) -> ServerRun:
    """Idle memory, then the fan-out, of one server (its root process and the workers under it)."""
    server = ServerProcesses(stack.pid_of(process))
    idle = make_transport(dataclasses.replace(target, room_names=plan.idle_room_names()))
    run.idle = asyncio.run(measure_idle(idle, plan.idle_connections, len(plan.idle_room_names()), server))
    server.reset_peaks()
    with profiling(server, profile_dir, run.name) as outputs:
        run.fanout = run_fanout(system, plan, target, server, redis)
    run.workers = server.memory()
    if outputs:
        summary = profiler.top_functions(outputs)
        (outputs[0].parent / "summary.txt").write_text(summary + "\n")
        run.fanout.extra["profile"] = str(outputs[0].parent)
    return run


@contextlib.contextmanager
def profiling(server: ServerProcesses, profile_dir: Path | None, name: str) -> Iterator[list[Path]]:
    if profile_dir is None:
        yield []
        return
    with profiler.sampling([w.pid for w in server.workers], profile_dir / name) as outputs:
        yield outputs


def bench_baseline(plan: Plan, workdir: Path) -> FanoutResult:
    with stack.redis(workdir / "baseline") as redis:
        server = ServerProcesses(stack.pid_of(redis))
        return run_fanout("redis pub/sub", plan, PubSubTarget(redis.url), server)


def main(argv: list[str] | None = None) -> None:
    plan, args = parse_args(argv)
    started = time.monotonic()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    host, started_at = machine.describe(), machine.utc_now()  # the load average before the run
    workdir = ROOT / ".dev" / f"bench-{stamp}"
    profile_dir = RESULTS / f"profile-{stamp}" if args.profile else None
    fanout = "fanout" in args.plans.split(",")
    servers = [bench_backend(plan, workdir, name, profile_dir) for name in plan.asgi_servers() if fanout]
    socketio = bench_peer(plan, workdir) if fanout and PEER in plan.systems else None
    baseline = bench_baseline(plan, workdir) if fanout and BASELINE in plan.systems else None
    with_peer = PEER in plan.systems
    org = (
        run_org(org_plan(args), workdir, with_peer, plan.appendfsync)
        if "org" in args.plans.split(",")
        else None
    )
    timings = [time_stack(name) for name in stacks()] if plan.pulumi else []
    report = Report(host, started_at, dataclasses.asdict(plan), servers, socketio, baseline, timings, org)
    report.evaluate()
    report.elapsed_seconds = time.monotonic() - started
    print(render(report))
    path = args.json or RESULTS / f"bench-{stamp}.json"
    write_json(report, path)
    print(f"JSON: {path}\nserver logs: {workdir}")
    if profile_dir:
        for run in servers:
            summary = profile_dir / run.name / "summary.txt"
            if summary.exists():
                print(f"\nprofile of the {run.name} workers ({summary.parent}):\n{summary.read_text()}")
