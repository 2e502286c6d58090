"""The name rule shared by users and rooms (3-32 of [A-Za-z0-9_.-]), and a DM's name, built
from its two members' names: `dm:<a>:<b>`, sorted. `:` is no name character, so a DM's name
never collides with a room's."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

NAME_CHARS = "A-Za-z0-9_.-"
_NAME = f"[{NAME_CHARS}]{{3,32}}"
NAME_PATTERN = f"^{_NAME}$"
DM_PREFIX = "dm:"
DM_NAME_PATTERN = f"^{DM_PREFIX}{_NAME}:{_NAME}$"
ROOM_NAME_PATTERN = f"^(?:{_NAME}|{DM_PREFIX}{_NAME}:{_NAME})$"  # a room's name or a DM's
Name = Annotated[str, Field(pattern=NAME_PATTERN, description="3-32 of A-Z a-z 0-9 _ . -")]
DmName = Annotated[str, Field(pattern=DM_NAME_PATTERN, description="dm:<a>:<b>, the two names sorted")]
PASSWORD_MIN, PASSWORD_MAX = 8, 128
