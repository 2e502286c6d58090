"""The schema, brought to the newest Alembic revision (migrations/) under an advisory lock, so
several processes starting at once migrate once. Run by the archiver before its first pass and
by `python -m chat_backend migrate` (a Job or an init container can run that before a rollout)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy
from alembic import command
from alembic.config import Config

from chat_backend.archive.database import connection_kwargs
from chat_backend.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK = 0x63686174  # pg_advisory_xact_lock's key for migrations ("chat")


def engine_url(database_url: str) -> str:
    """DATABASE_URL for SQLAlchemy, on the same driver (psycopg 3) as the backend."""
    return "postgresql+psycopg://" + database_url.split("://", 1)[1]


def upgrade(settings: Settings) -> None:
    assert settings.database_url is not None
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = sqlalchemy.create_engine(
        engine_url(settings.database_url),
        connect_args=connection_kwargs(settings),
        poolclass=sqlalchemy.NullPool,
    )
    try:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    finally:
        engine.dispose()
