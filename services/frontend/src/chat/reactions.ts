/** Emoji reactions on a room's messages, as the server lists them: each emoji in the order first
 * used, with who reacted (first first). Kept per room by message id; a `reaction` frame (live or
 * replayed) changes one, and the server's answer to my own change replaces it whole. */
import type { Reaction } from "../api/protocol";

export type Reactions = Record<string, Reaction[]>;

/** `list` with `user`'s `emoji` added or removed; the same change again changes nothing. */
export function applyReaction(
  list: Reaction[],
  emoji: string,
  user: string,
  add: boolean,
): Reaction[] {
  const found = list.find((r) => r.emoji === emoji);
  const has = found?.users.includes(user) ?? false;
  if (add === has) return list;
  if (add) {
    if (!found) return [...list, { emoji, count: 1, users: [user] }];
    return list.map((r) =>
      r === found ? { ...r, count: r.count + 1, users: [...r.users, user] } : r,
    );
  }
  return list.flatMap((r) => {
    if (r !== found) return [r];
    const users = r.users.filter((u) => u !== user);
    return users.length ? [{ ...r, count: users.length, users }] : [];
  });
}

/** `reactions` with each listed message's reactions replaced (a message not listed has none left
 * among `ids`, the ids asked about). */
export function withListed(
  reactions: Reactions,
  ids: string[],
  listed: { id: string; reactions: Reaction[] }[],
): Reactions {
  const next = { ...reactions };
  for (const id of ids) delete next[id];
  for (const entry of listed)
    if (entry.reactions.length) next[entry.id] = entry.reactions;
  return next;
}
