"""The name rule shared by users and rooms: 3-32 of [A-Za-z0-9_.-]."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

NAME_PATTERN = r"^[A-Za-z0-9_.-]{3,32}$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, description="3-32 of A-Z a-z 0-9 _ . -")]
PASSWORD_MIN, PASSWORD_MAX = 8, 128
