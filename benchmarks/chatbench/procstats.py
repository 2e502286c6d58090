"""CPU time and memory of the server processes under test (psutil + /proc)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import psutil


@dataclass(frozen=True)
class WorkerMemory:
    pid: int
    rss_kib: int
    peak_rss_kib: int


class ProcessGroup:
    """Processes whose CPU is counted together: a redis-server, or every node of a Redis Cluster."""

    def __init__(self, pids: list[int]):
        self.pids = pids

    def cpu_seconds(self) -> float:
        return ServerProcesses.tree_cpu_seconds(self.pids)


# What "server CPU" counts, in every table and goal of both plans (ServerProcesses).
SERVER_CPU = "the server's processes (supervisor or cluster primary + 2 workers), its redis-server apart"


class ServerProcesses:
    """A server's process tree: the supervisor and its workers (fixed once started)."""

    def __init__(self, root_pid: int):
        self.root = psutil.Process(root_pid)
        self.workers = [
            child
            for child in self.root.children(recursive=True)
            if "resource_tracker" not in " ".join(child.cmdline())  # multiprocessing's helper, not a worker
        ]

    def all(self) -> list[psutil.Process]:
        return [self.root, *self.workers]

    def cpu_seconds(self) -> float:
        return self.tree_cpu_seconds([proc.pid for proc in self.all()])

    @staticmethod
    def tree_cpu_seconds(pids: list[int]) -> float:
        """User + system CPU of these processes (gone ones count as 0)."""
        total = 0.0
        for pid in pids:
            with contextlib.suppress(psutil.NoSuchProcess):
                times = psutil.Process(pid).cpu_times()
                total += times.user + times.system
        return total

    def rss_kib(self) -> list[int]:
        return [proc.memory_info().rss // 1024 for proc in self.workers or [self.root]]

    def memory(self) -> list[WorkerMemory]:
        return [
            WorkerMemory(proc.pid, proc.memory_info().rss // 1024, peak_rss_kib(proc.pid))
            for proc in self.workers or [self.root]
        ]

    def reset_peaks(self) -> None:
        """Start a new peak-RSS window (Linux: writing 5 to clear_refs resets VmHWM)."""
        for proc in self.workers or [self.root]:
            with contextlib.suppress(OSError):
                Path(f"/proc/{proc.pid}/clear_refs").write_text("5")


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0
