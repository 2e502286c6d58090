"""The client's address, for the per-address ceilings (docs/security.md).

Each proxy in front of the backend (nginx in `make dev`, the NGINX ingress on minikube, Traefik
on AWS) appends the address it was connected from to X-Forwarded-For. Entries to the left of
those are whatever the client wrote, so the client's address is the entry TRUSTED_PROXY_HOPS
from the right, never one further left; with fewer entries, or none, the peer's address.
"""

from __future__ import annotations

from starlette.requests import Request

from chat_backend.settings import Settings


def client_ip(request: Request, settings: Settings) -> str:
    peer = request.client.host if request.client else "unknown"
    hops = settings.trusted_proxy_hops
    if hops == 0:
        return peer
    forwarded = [part.strip() for part in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
    forwarded = [part for part in forwarded if part]
    return forwarded[-hops] if len(forwarded) >= hops else peer
