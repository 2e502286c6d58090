"""The machine a measurement ran on, recorded beside its figures (the benchmark's JSON, the
drills' figures): results from different machines or loads are not comparable."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Any


def describe() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")),
        platform.processor(),
    )
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    total_kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:"))
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(total_kib / 2**20, 1),
        "load_average": [round(load, 2) for load in os.getloadavg()],
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def utc_now() -> str:
    """When a measurement was taken, to the minute: what the published pages show."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


def summary(described: dict[str, Any]) -> str:
    """One line for a page: what `describe()` recorded."""
    return (
        f"{described['cpus']} CPUs ({described['cpu_model']}), {described['memory_gib']} GiB, "
        f"Python {described['python']}, kernel {described['kernel']}"
    )
