/** The server's rules for names and passwords, checked before a round trip. */
import { limits } from "../api/protocol";

export const NAME_MAX = limits.name_max_length;
export const NAME_RULE = `${limits.name_min_length}–${NAME_MAX} characters: letters, digits, _ . -`;
/** One character of a name, as a regular expression class. */
export const NAME_CHAR = `[${limits.name_chars}]`;
/** A name, as a regular expression (unanchored). */
export const NAME_PATTERN = `${NAME_CHAR}{${limits.name_min_length},${NAME_MAX}}`;
const NAME = new RegExp(`^${NAME_PATTERN}$`);
export const PASSWORD_MIN = limits.password_min_length;
export const PASSWORD_MAX = limits.password_max_length;

export function nameError(name: string): string | null {
  return NAME.test(name) ? null : `Use ${NAME_RULE}.`;
}

export function passwordError(password: string): string | null {
  if (password.length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters.`;
  if (password.length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`;
  return null;
}
