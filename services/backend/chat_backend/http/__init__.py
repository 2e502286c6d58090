"""The HTTP API under /api and the WebSocket upgrade: routes, the error shape, the body limit.
Imports store/ and realtime/."""
