"""What a failover drill checks once the dust settles: what clients were acked and shown
against what the room finally holds, message id by message id, per client."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from typing import Any

from chatkit import Peer

DUPLICATE_WINDOW = 0.5  # seconds after the last expected delivery in which a duplicate would show


async def settle(everyone: list[Peer], final: list[str]) -> None:
    """Until every client has every stored message (resuming if its socket dropped), and a
    moment more, for anything extra (a duplicate) to arrive."""
    for peer in everyone:
        await peer.wait_for(set(final))
    await asyncio.sleep(DUPLICATE_WINDOW)


def shown_twice(delivered: list[str]) -> int:
    return sum(n - 1 for n in Counter(delivered).values())


@dataclass(frozen=True)
class Verdict:
    everyone: list[Peer]
    sent: int
    acked: set[str]
    final: list[str]  # the room's message ids as the promoted node holds them, in order
    final_client_ids: list[str]  # the same messages' client_ids
    lost_with_primary: set[str]  # ids the dead primary held that the promoted node does not

    @property
    def shown(self) -> set[str]:
        return {message_id for peer in self.everyone for message_id in peer.received}

    def exact(self) -> int:
        """Clients that got exactly the room's messages, in order."""
        return sum(peer.received == self.final for peer in self.everyone)

    def figures(self) -> dict[str, Any]:
        """The figures the Reliability table quotes (tests/drills/figures.py records them)."""
        return {
            "peers": len(self.everyone),
            "sent": self.sent,
            "acked": len(self.acked),
            "stored": len(self.final),
            "lost_with_primary": len(self.lost_with_primary),
            "acked_lost": len(self.acked - set(self.final)),
            "shown_then_vanished": len(self.shown - set(self.final)),
            "shown_twice_by_id": sum(shown_twice(peer.received) for peer in self.everyone),
            "shown_twice_by_client_id": sum(shown_twice(peer.received_client_ids) for peer in self.everyone),
            "stored_twice": shown_twice(self.final_client_ids),
            "peers_with_stored_sequence": f"{self.exact()}/{len(self.everyone)}",
            "refused_unavailable": sum(
                e.code == "unavailable" for peer in self.everyone for e in peer.errors
            ),
            "reconnects": sum(peer.reconnects for peer in self.everyone),
        }

    def check(self) -> None:
        """Nothing acked lost, nothing shown that vanished or twice, every client exactly the room."""
        lost, shown, final = self.lost_with_primary, self.shown, set(self.final)
        assert not lost & self.acked, "an ack went out for a write only the dead primary had"
        assert not lost & shown, "a client was shown a write only the dead primary had"
        acked_lost = self.acked - final
        assert not acked_lost, f"{len(acked_lost)} acked messages lost: {sorted(acked_lost)[:5]}"
        vanished = shown - final
        assert not vanished, f"shown, then gone: {sorted(vanished)[:5]}"
        figures = self.figures()
        assert (
            figures["shown_twice_by_id"]
            == figures["shown_twice_by_client_id"]
            == figures["stored_twice"]
            == 0
        )
        assert len(self.acked) == self.sent == len(self.final)
        for peer in self.everyone:
            assert peer.received == self.final, (
                f"{peer.account.username} got a different sequence than stored"
            )
