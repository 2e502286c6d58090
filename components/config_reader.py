"""Typed, checked reads of `chat-platform:*` keys: what every section of the configuration
is loaded with. A leaf module, so each platform's section can use it without the others."""

from __future__ import annotations

import re
from typing import Any

import pulumi

PROJECT = "chat-platform"


class ConfigError(ValueError):
    """A configuration value is wrong; the message starts with the full key."""

    def __init__(self, key: str, problem: str):
        super().__init__(f"{PROJECT}:{key} {problem}")
        self.key = f"{PROJECT}:{key}"


class Reader:
    """Typed access to `chat-platform:*` keys with the Pulumi.yaml defaults."""

    def __init__(self, config: pulumi.Config | None = None):
        self.config = config or pulumi.Config(PROJECT)

    def raw(self, key: str) -> str | None:
        return self.config.get(key)

    def string(self, key: str, default: str, pattern: re.Pattern[str] | None = None, what: str = "") -> str:
        value = self.raw(key)
        value = default if value is None else value.strip()
        if pattern is not None and not pattern.fullmatch(value):
            raise ConfigError(key, f"must be {what}, got {value!r}")
        return value

    def choice(self, key: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.string(key, default)
        if value not in choices:
            raise ConfigError(key, f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.raw(key)
        if value is None:
            return default
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ConfigError(key, f"must be a whole number, got {value!r}") from None
        if not low <= number <= high:
            raise ConfigError(key, f"must be between {low} and {high}, got {number}")
        return number

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key)
        if value is None:
            return default
        lowered = str(value).strip().lower()
        if lowered not in ("true", "false"):
            raise ConfigError(key, f"must be true or false, got {value!r}")
        return lowered == "true"

    def string_list(self, key: str, default: list[str]) -> list[str]:
        value: Any = self.config.get_object(key)
        if value is None:
            return default
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(key, f"must be a list of strings, got {value!r}")
        return list(value)
