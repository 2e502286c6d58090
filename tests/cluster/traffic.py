"""Chat traffic through the test node's ingress: Python clients and a real browser register,
join a room and talk, and a conversation survives a pod being deleted under it.

The stack's Ingress answers for its host name (chat.local); the node's ingress listens on an
address of the test's own network namespace. Both clients are pointed there for that one name:
the Python clients through the resolver, chromium through its host-resolver rules."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from chatkit import Account, ChatClient, Peer, register, unique
from devstack.browser import launch_chromium
from playwright.sync_api import expect, sync_playwright

from tests.drills.conversation import Outcome
from tests.drills.failover_verdict import Verdict, settle
from tests.e2e.chat_user import ChatUser

PEERS = 6
PER_PEER = 20  # messages each peer sends around a fault: half before it, half after
PACE = 0.5  # seconds between one peer's messages through a rollout: within SEND_RATE_LIMIT


@contextlib.contextmanager
def resolving(host: str, address: str) -> Iterator[None]:
    """`host` resolves to `address` in this process (and nothing else changes)."""
    real = socket.getaddrinfo

    def getaddrinfo(name: Any, *args: Any, **kwargs: Any) -> Any:
        # anyio (under httpx) asks with the name encoded, websockets with the str.
        wanted = name.decode() if isinstance(name, bytes) else name
        return real(address if wanted == host else name, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    try:
        yield
    finally:
        socket.getaddrinfo = real


async def history(client: ChatClient, room: str) -> list[dict[str, Any]]:
    """The room's whole history through the API, oldest first."""
    messages: list[dict[str, Any]] = []
    before: str | None = None
    while True:
        params = {"limit": "1000", **({"before": before} if before else {})}
        response = await client.http.get(f"/api/rooms/{room}/messages", params=params)
        for _ in range(30):  # a worker whose Redis connection is still coming back says 503
            if response.status_code != 503:
                break
            await asyncio.sleep(1)
            response = await client.http.get(f"/api/rooms/{room}/messages", params=params)
        response.raise_for_status()
        page = response.json()["messages"]
        if not page:  # the server caps a page (HISTORY_PAGE_MAX): only an empty one is the end
            return messages
        messages[:0] = page
        before = page[0]["id"]


async def exchange(base_url: str) -> str:
    """Two Python clients in a fresh room: what one says, the other is delivered."""
    owner = ChatClient(base_url, base_url)
    try:
        await owner.register()
        room = f"node-{owner.username}"[:32]
        await owner.create_room(room)
        alice, bob = [Peer(base_url, base_url, await register(base_url), room) for _ in range(2)]
        await asyncio.gather(alice.connect(), bob.connect())
        said = await alice.say("hello through the ingress")
        await bob.wait_for({said})
        await asyncio.gather(alice.drop(), bob.drop())
    finally:
        await owner.aclose()
    return "2 Python clients"


def browser_exchange(base_url: str, host: str, address: str) -> str:
    """Two people in Debian's chromium: one's message appears on the other's screen."""
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, f"--host-resolver-rules=MAP {host} {address}")
        try:
            alice, bob = ChatUser(browser, base_url, "alice"), ChatUser(browser, base_url, "bob")
            alice.register()
            bob.register()
            alice.send("hello from a browser on the real node")
            expect(bob.page.get_by_text("hello from a browser on the real node")).to_be_visible(
                timeout=20_000
            )
            for user in (alice, bob):
                # The image's Content-Security-Policy lets the app run (as the e2e suite checks).
                blocked = [e for e in user.console_errors if "Content Security Policy" in e]
                assert not blocked, blocked
                user.close()
        finally:
            browser.close()
    return "2 browsers"


async def talk_through(peers: list[Peer], fault: Callable[[], Awaitable[None]]) -> Outcome:
    """Every peer says a message every PACE s: PER_PEER // 2 before `fault` starts, on while it
    runs however long it takes (a rollout replaces pods one by one), PER_PEER // 2 after."""
    finished = asyncio.Event()
    started = time.monotonic()

    async def talk(peer: Peer) -> int:
        said = after = 0
        while after < PER_PEER // 2:
            await peer.say(f"{peer.account.username} says {said}")
            said += 1
            after += finished.is_set()
            await asyncio.sleep(PACE)
        return said

    async def inject() -> int:
        while sum(len(p.acks) for p in peers) < len(peers) * (PER_PEER // 2):  # noqa: ASYNC110 (polls the peers' counts)
            await asyncio.sleep(0.05)
        await fault()
        finished.set()
        return 0

    said = await asyncio.gather(inject(), *(talk(peer) for peer in peers))
    acked = {message_id for peer in peers for message_id in peer.acks.values()}
    return Outcome(peers, acked, sum(said), time.monotonic() - started)


async def talkers(base_url: str) -> list[Account]:
    """PEERS accounts, registered once for every fault: one address may register only
    REGISTRATIONS_PER_IP accounts an hour."""
    return [await register(base_url) for _ in range(PEERS)]


async def survives(
    base_url: str, accounts: list[Account], fault: Callable[[], Awaitable[None]]
) -> dict[str, Any]:
    """`accounts` talk in a fresh room (the first one's) before, through and after `fault`;
    afterwards every acked message is stored once, and every client was shown exactly the
    room's history."""
    owner = ChatClient.signed_in(base_url, accounts[0])
    try:
        room = f"drill-{unique('r')}"[:32]
        await owner.create_room(room)
        peers = [Peer(base_url, base_url, account, room) for account in accounts]
        await asyncio.gather(*(peer.connect() for peer in peers))
        outcome = await talk_through(peers, fault)
        stored = await history(owner, room)
        final = [m["id"] for m in stored]
        await settle(peers, final)
        verdict = Verdict(
            everyone=peers,
            sent=outcome.sent,
            acked=outcome.acked,
            final=final,
            final_client_ids=[m["client_id"] for m in stored],
            lost_with_primary=set(),
        )
        verdict.check()
        await asyncio.gather(*(peer.drop() for peer in peers))
        return verdict.figures()
    finally:
        await owner.aclose()
