/** @mentions in message text, found as the server finds them. */
import { limits } from "../api/protocol";
import { NAME_CHAR, NAME_PATTERN } from "../auth/validation";

/** `@name` not glued to a name before or after it (so "ann@example.com" is no mention). */
export const MENTION = new RegExp(`(?<!${NAME_CHAR})@(${NAME_PATTERN})(?!${NAME_CHAR})`, "g");
const SENTENCE_END = /\.+$/;

/** The name a matched run mentions: a `.` ending it usually ends the sentence, so it is left
 * out (unless the name would be too short without it). */
export function mentionedName(run: string): string {
  const stripped = run.replace(SENTENCE_END, "");
  return stripped.length >= limits.name_min_length ? stripped : run;
}
