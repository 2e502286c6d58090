"""What one client process saw: per step the latencies and duplicates, per message how
many distinct clients got it (lost = clients in the room - clients that got it)."""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import dataclass, field

from chatbench.probe import now_ns, parse_probe
from chatbench.transport import OnText


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
    """Counts deliveries as they arrive; `take()` hands over what came since the last take."""

    def __init__(self, clients: int):
        self.seen: list[set[int]] = [set() for _ in range(clients)]
        self.report = StepReport(clients=clients)

    def callback(self, local_client: int) -> OnText:
        seen = self.seen[local_client]

        def on_text(text: str) -> None:
            probe = parse_probe(text)
            if probe is None:
                return
            report = self.report
            if probe.seq in seen:
                report.duplicates[probe.step] += 1
                return
            seen.add(probe.seq)
            report.receivers[probe.seq] += 1
            samples = report.latencies_us.get(probe.step)
            if samples is None:
                samples = report.latencies_us[probe.step] = array("q")
            samples.append((now_ns() - probe.sent_ns) // 1000)

        return on_text

    def take(self) -> StepReport:
        report, self.report = self.report, StepReport(clients=self.report.clients)
        return report
