"""The table of the backend's settings that describe themselves in chat_backend/settings.py
(every ceiling does), for docs/configuration.md."""

from __future__ import annotations

from chat_backend.settings import Settings
from pydantic.fields import FieldInfo

from docgen.config_reference import PAGE
from docgen.page import Generated, fill, table


def _default(field: FieldInfo) -> str:
    if field.default is None:
        return "unset"
    return f"`{str(field.default).lower()}`" if isinstance(field.default, bool) else f"`{field.default}`"


def settings_table() -> str:
    rows = [
        [f"`{name.upper()}`", _default(field), field.description]
        for name, field in Settings.model_fields.items()
        if field.description
    ]
    return table(["variable", "default", "meaning"], rows)


def render(text: str) -> str:
    return fill(text, "config-backend", settings_table())


GENERATED = Generated(PAGE, render)
