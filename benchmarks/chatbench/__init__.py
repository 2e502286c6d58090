"""The chat fan-out benchmark: the backend against raw Redis pub/sub, on 127.0.0.1 only."""
