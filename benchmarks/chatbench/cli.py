"""`python -m chatbench` (what `make bench` runs): every system under test in turn, then the
report. Everything it starts listens on 127.0.0.1 and is stopped before it returns."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import platform
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil

from chatbench import profiler, stack
from chatbench.fanout import FanoutResult, run_fanout
from chatbench.idle import measure_idle
from chatbench.plan import QUICK, Plan
from chatbench.procstats import ServerProcesses
from chatbench.pubsub import PubSubTarget
from chatbench.pulumi_timing import ROOT, stacks, time_stack
from chatbench.report import Report, ServerRun, render, write_json
from chatbench.websocket import Target

RESULTS = ROOT / "benchmarks" / "results"


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
    parser.add_argument("--servers", help="ASGI servers to compare (default uvicorn,granian)")
    parser.add_argument(
        "--appendfsync",
        choices=("always", "everysec", "no"),
        help="the backend's Redis AOF fsync policy (default always, as deployed)",
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
        "rates": tuple(float(r) for r in args.rates.split(",")) if args.rates else None,
        "servers": tuple(args.servers.split(",")) if args.servers else None,
        "pulumi": False if args.no_pulumi else None,
        "appendfsync": args.appendfsync,
    }
    plan = dataclasses.replace(plan, **{k: v for k, v in changes.items() if v is not None})
    if plan.clients < plan.rooms or plan.rooms < 1:
        parser.error("--clients must be at least --rooms, and --rooms at least 1")
    return plan, args


def machine() -> dict[str, object]:
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def bench_backend(plan: Plan, workdir: Path, asgi_server: str, profile_dir: Path | None) -> ServerRun:
    with (
        stack.redis(workdir / asgi_server) as redis,
        stack.backend(workdir, redis.url, asgi_server) as backend,
    ):
        if asgi_server not in backend.server_header and backend.server_header != "(none)":
            # The backend ignored ASGI_SERVER: measuring would only repeat another server's run.
            return ServerRun(
                asgi_server,
                backend.server_header,
                skipped=f"the backend answered as {backend.server_header!r}",
            )
        room_names = [f"bench{i}" for i in range(plan.rooms)]
        idle_rooms = [f"idle{i}" for i in range(max(1, plan.idle_connections // plan.idle_room_size))]
        users = [f"reader{i}" for i in range(min(plan.users, plan.clients))]
        senders = [f"sender{i}" for i in range(plan.rooms)]
        cookies = asyncio.run(stack.register(backend.url, users + senders))
        asyncio.run(stack.create_rooms(backend.url, cookies[0], room_names + idle_rooms))
        ws_url = backend.url.replace("http://", "ws://") + "/api/ws"
        target = Target(
            ws_url,
            stack.ORIGIN,
            tuple(cookies[: len(users)]),
            tuple(cookies[len(users) :]),
            tuple(room_names),
        )
        server = ServerProcesses(backend.server.proc.pid if backend.server.proc else 0)
        run = ServerRun(asgi_server, backend.server_header)
        run.idle = asyncio.run(measure_idle(target, plan.idle_connections, idle_rooms, server))
        server.reset_peaks()
        with profiling(server, profile_dir, asgi_server) as outputs:
            run.fanout = run_fanout(f"backend ({asgi_server})", plan, target, server)
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
        server = ServerProcesses(redis.proc.pid if redis.proc else 0)
        return run_fanout("redis pub/sub", plan, PubSubTarget(redis.url), server)


def main(argv: list[str] | None = None) -> None:
    plan, args = parse_args(argv)
    started = time.monotonic()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    workdir = ROOT / ".dev" / f"bench-{stamp}"
    profile_dir = RESULTS / f"profile-{stamp}" if args.profile else None
    servers = [bench_backend(plan, workdir, name, profile_dir) for name in plan.servers]
    baseline = bench_baseline(plan, workdir)
    timings = [time_stack(name) for name in stacks()] if plan.pulumi else []
    report = Report(machine(), dataclasses.asdict(plan), servers, baseline, timings)
    report.evaluate()
    report.elapsed_seconds = time.monotonic() - started
    print(render(report))
    path = args.json or RESULTS / f"bench-{stamp}.json"
    write_json(report, path)
    print(f"JSON: {path}\nserver logs: {workdir}")
    if profile_dir:
        for run in servers:
            summary = profile_dir / run.asgi_server / "summary.txt"
            if summary.exists():
                print(
                    f"\nprofile of the {run.asgi_server} workers ({summary.parent}):\n{summary.read_text()}"
                )
