"""Reusable ComponentResources and per-stack compositions of the chat platform."""
