"""Run the chat's processes (redis-server, backend, nginx) on 127.0.0.1.

One library for `make dev`, the end-to-end tests, the drills and the benchmark,
so every one of them starts the stack the same way.
"""
