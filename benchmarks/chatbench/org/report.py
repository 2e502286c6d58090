"""The organisation plan's part of the terminal report."""

from __future__ import annotations

from chatbench.goals import goal_lines
from chatbench.org.bench import OrgReport
from chatbench.procstats import SERVER_CPU

HEADER = (
    f"{'system':>9} {'rooms':>6} {'sockets':>7} {'connect s':>9} {'idle srv/redis cores':>20} "
    f"{'deliv':>6} {'lost':>4} {'dup':>3} {'p50 ms':>6} {'p99 ms':>6} {'srv ms/deliv':>12} "
    f"{'redis ms/deliv':>14} {'deliv/CPU-s':>11}"
)


def org_lines(org: OrgReport) -> list[str]:
    plan = org.plan
    out = [
        f"organisation plan: rooms of {plan['room_size']} (each person in {plan['rooms_per_person']} "
        f"and a DM, one socket each), {plan['rate']:g} msgs/s into conversations drawn at random for "
        f"{plan['seconds']:g} s; idle: {plan['idle_seconds']:g} s without messages; CPU per delivery "
        "over the messages and their drain",
        f"srv: {SERVER_CPU}, as the fan-out comparison counts it; deliv/CPU-s: deliveries per srv CPU-second",
        HEADER,
    ]
    for r in [*org.backend, *org.peer]:
        idle = f"{r.idle_server_cores:.3f} / {r.idle_redis_cores:.3f}"
        out.append(
            f"{r.system:>9} {r.rooms:>6,} {r.sockets:>7,} {r.connect_seconds:>9.1f} {idle:>20} "
            f"{r.deliveries:>6,} {r.lost:>4} {r.duplicates:>3} {r.p50_ms:>6.1f} {r.p99_ms:>6.1f} "
            f"{r.server_ms_per_delivery:>12.3f} {r.redis_ms_per_delivery:>14.3f} "
            f"{r.deliveries_per_cpu_s:>11,.0f}"
        )
    return [*out, "organisation plan goals:", *goal_lines(org.goals)]
