"""The name rule shared by users and rooms: 3-32 of [A-Za-z0-9_.-]."""

from __future__ import annotations

import re

NAME_PATTERN = r"^[A-Za-z0-9_.-]{3,32}$"
_NAME = re.compile(NAME_PATTERN)
PASSWORD_MIN, PASSWORD_MAX = 8, 128


def is_valid_name(value: object) -> bool:
    return isinstance(value, str) and _NAME.fullmatch(value) is not None
