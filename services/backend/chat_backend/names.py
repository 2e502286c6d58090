"""The name rule shared by users and rooms (3-32 of [A-Za-z0-9_.-]), and a DM's name, built
from its members' names (two, or a group's up to DM_MAX_MEMBERS): `dm:<a>:<b>[:<c>…]`,
sorted. `:` is no name character, so a DM's name never collides with a room's. The frontend
gets these bounds from the protocol schema (tools/docgen/protocol_schema.py), not a copy."""

from __future__ import annotations

from typing import Annotated

import regex
from pydantic import Field

NAME_CHARS = "A-Za-z0-9_.-"
NAME_MIN, NAME_MAX = 3, 32
NAME_RULE = f"{NAME_MIN}-{NAME_MAX} of A-Z a-z 0-9 _ . -"  # NAME_CHARS in words
NAME_REGEX = f"[{NAME_CHARS}]{{{NAME_MIN},{NAME_MAX}}}"
NAME_PATTERN = f"^{NAME_REGEX}$"
DM_PREFIX = "dm:"
DM_MAX_MEMBERS = 9
# A room's name or a DM's.
ROOM_NAME_PATTERN = f"^(?:{NAME_REGEX}|{DM_PREFIX}{NAME_REGEX}(?::{NAME_REGEX}){{1,{DM_MAX_MEMBERS - 1}}})$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, description=NAME_RULE)]
PASSWORD_MIN, PASSWORD_MAX = 8, 128

# Text that shows nothing: spaces, controls, format characters (zero-width space, word joiner,
# BOM) and the default-ignorable ones (variation selectors, Hangul fillers, tag characters).
_INVISIBLE = regex.compile(r"[\p{White_Space}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]*+")


DISPLAY_NAME_MAX = 64  # characters
USERS_LOOKUP_MAX = 100  # names one GET /api/users takes
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f-\x9f]*$"  # Unicode's Cc: C0, DEL and C1
NUL = "\x00"  # the one character PostgreSQL's text cannot hold: refused in what is archived or searched
NO_NUL = r"^[^\x00]*$"


def shows_nothing(text: str) -> bool:
    """Whether `text` is empty or only invisible characters (messages, topics, display names)."""
    return _INVISIBLE.fullmatch(text) is not None
