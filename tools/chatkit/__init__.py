"""One Python client of the chat for the test suites, the drills and the benchmark.

Layers, each on the one before: `frames` (client frames encoded from the protocol models,
server frames decoded into them), `sockets` (a WebSocket opened with the Origin and session
cookie, sending and receiving those frames), `accounts` (users over the HTTP API), `peer` (a
participant that reconnects, resumes with `since` and retries sends until acked).
"""

from chatkit.accounts import PASSWORD, Account, ChatClient, register
from chatkit.frames import decode, delivery, encode, frame_types, tag
from chatkit.names import unique
from chatkit.peer import Peer
from chatkit.sockets import Socket, connect, ws_url

__all__ = [
    "PASSWORD",
    "Account",
    "ChatClient",
    "Peer",
    "Socket",
    "connect",
    "decode",
    "delivery",
    "encode",
    "frame_types",
    "register",
    "tag",
    "unique",
    "ws_url",
]
