"""Alembic migrations of the archive (a package, so the wheel ships them)."""
