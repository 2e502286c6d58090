"""PostgreSQL, the store that keeps every message (docs/storage.md): its schema and migrations,
the archiver that copies each room's stream into it, and the reads that go past Redis (older
history, search)."""
