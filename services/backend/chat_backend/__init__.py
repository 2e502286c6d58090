"""Real-time chat API on Redis."""
