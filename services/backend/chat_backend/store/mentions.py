"""Who a message mentions: `@name` of a registered user who can see the room (a DM's or a
private room's members alone), not its author.

`@` must not follow a name character, and the name is the longest run of name characters
after it (3-32 of them), in any case (`@Bob` is bob: names are unique regardless of case). A
run ending in `.` may end a sentence: `@bob.` mentions `bob.` if that is a user, else `bob`.
At most MAX_MENTIONS names of a message are looked up.
"""

from __future__ import annotations

import re

from chat_backend.names import NAME_CHARS, NAME_MIN, NAME_REGEX
from chat_backend.protocol import MAX_MENTIONS
from chat_backend.store.access import Access, dm_members
from chat_backend.store.accounts import Accounts

_MENTION = re.compile(f"(?<![{NAME_CHARS}])@({NAME_REGEX})(?![{NAME_CHARS}])")


def candidates(text: str) -> list[list[str]]:
    """Each distinct @name of the text (at most MAX_MENTIONS), as the names it may stand for,
    the likelier first."""
    found: dict[str, list[str]] = {}
    for match in _MENTION.finditer(text):
        name = match[1]
        if name not in found:
            stripped = name.rstrip(".")
            found[name] = [name, stripped] if stripped != name and len(stripped) >= NAME_MIN else [name]
            if len(found) == MAX_MENTIONS:
                break
    return list(found.values())


async def mentioned(accounts: Accounts, access: Access, text: str, room: str, author: str) -> list[str]:
    """The users to notify; [] without a round trip when the text has no @name."""
    if "@" not in text:  # the common case, on the send path
        return []
    options = candidates(text)
    names = sorted({name for option in options for name in option})
    if not names:
        return []
    users_of = dict(zip(names, await accounts.canonical(names), strict=True))
    users = {next((users_of[name] for name in option if users_of[name]), None) for option in options}
    users -= {None, author}
    found = sorted(user for user in users if user is not None)
    members = dm_members(room)
    if members is not None:
        return [user for user in found if user in members]
    if found and await access.is_private(room):
        return sorted((await access.private_members([room])).get(room, set()) & set(found))
    return found
