"""What one client process saw: per step the latencies and duplicates, per message how
many distinct clients got it (lost = clients in the room - clients that got it)."""

from __future__ import annotations

import functools
from array import array
from collections import Counter
from dataclasses import dataclass, field

from chatbench.probe import now_ns, parse_probe
from chatbench.transport import IN_FLIGHT, OnText

# Every reader of a room gets the same text: parsed once per process (a pure function of it).
probe_of = functools.lru_cache(maxsize=IN_FLIGHT)(parse_probe)


@dataclass
class StepReport:
    """Sent from a client process to the driver after each step (and once at the end)."""

    latencies_us: dict[int, array[int]] = field(default_factory=dict)
    duplicates: Counter[int] = field(default_factory=Counter)  # step -> duplicate deliveries
    receivers: Counter[int] = field(default_factory=Counter)  # seq -> distinct clients that got it
    sent: Counter[int] = field(default_factory=Counter)  # step -> probes sent
    acked: dict[int, set[int]] = field(default_factory=dict)  # step -> seqs the system accepted
    errors: Counter[str] = field(default_factory=Counter)
    reconnects: int = 0  # this process's running total (subscribers that came back with `since`)
    clients: int = 0

    def merge(self, other: StepReport) -> None:
        for step, samples in other.latencies_us.items():
            self.latencies_us.setdefault(step, array("q")).extend(samples)
        self.duplicates.update(other.duplicates)
        self.receivers.update(other.receivers)
        self.sent.update(other.sent)
        for step, seqs in other.acked.items():
            self.acked.setdefault(step, set()).update(seqs)
        self.errors.update(other.errors)


class Tally:
    """Counts deliveries as they arrive; `take()` hands over what came since the last take.

    The callback runs once per delivery and its CPU is the load generator's: it counts into
    plain dicts (a Counter's item update costs several times a dict's), made a report by `take()`."""

    def __init__(self, clients: int):
        self.clients = clients
        self.seen: list[set[int]] = [set() for _ in range(clients)]
        self.latencies_us: dict[int, array[int]] = {}
        self.duplicates: dict[int, int] = {}
        self.receivers: dict[int, int] = {}

    def callback(self, local_client: int) -> OnText:
        seen = self.seen[local_client]

        def on_text(text: str) -> None:
            probe = probe_of(text)
            if probe is None:
                return
            step, seq, sent_ns = probe
            if seq in seen:
                self.duplicates[step] = self.duplicates.get(step, 0) + 1
                return
            seen.add(seq)
            receivers = self.receivers
            receivers[seq] = receivers.get(seq, 0) + 1
            samples = self.latencies_us.get(step)
            if samples is None:
                samples = self.latencies_us[step] = array("q")
            samples.append((now_ns() - sent_ns) // 1000)

        return on_text

    def arrived(self) -> int:
        """Deliveries since the last take."""
        return sum(self.receivers.values())

    def take(self) -> StepReport:
        report = StepReport(
            latencies_us=self.latencies_us,
            duplicates=Counter(self.duplicates),
            receivers=Counter(self.receivers),
            clients=self.clients,
        )
        self.latencies_us, self.duplicates, self.receivers = {}, {}, {}
        return report
