"""Optional: sample the backend workers with py-spy while the load steps run, and list where
their CPU goes (own time and inclusive time per function)."""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise RuntimeError("py-spy is missing: run `make venv` (benchmarks/requirements.txt pins it)")
    return found


@contextlib.contextmanager
def sampling(pids: list[int], outdir: Path) -> Iterator[list[Path]]:
    """py-spy record (raw collapsed stacks) on each pid until the block ends."""
    outdir.mkdir(parents=True, exist_ok=True)
    outputs = [outdir / f"worker-{pid}.txt" for pid in pids]
    procs = [
        subprocess.Popen(
            [
                py_spy(),
                "record",
                "--gil",
                "--pid",
                str(pid),
                "--rate",
                "200",
                "--format",
                "raw",
                "--output",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid, out in zip(pids, outputs, strict=True)
    ]
    try:
        yield outputs
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def top_functions(outputs: list[Path], limit: int = 25) -> str:
    """Own and inclusive sample shares per function over every collapsed-stack file."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for path in outputs:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            frames = stack.split(";")
            total += count
            own[frames[-1]] += count
            for frame in set(frames):
                inclusive[frame] += count
    if not total:
        return "no samples (is ptrace allowed?)"
    lines = [f"{total} samples; own time:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in own.most_common(limit)]
    lines.append("inclusive time:")
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(limit)]
    return "\n".join(lines)
