"""The chat fan-out benchmark: the backend against Socket.IO and raw Redis pub/sub, on 127.0.0.1 only."""
