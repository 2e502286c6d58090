/** The server's rules for names and passwords, checked before a round trip. */

export const NAME_RULE = "3–32 characters: letters, digits, _ . -";
/** One character of a name, as a regular expression class. */
export const NAME_CHAR = "[A-Za-z0-9_.-]";
const NAME = new RegExp(`^${NAME_CHAR}{3,32}$`);
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

export function nameError(name: string): string | null {
  return NAME.test(name) ? null : `Use ${NAME_RULE}.`;
}

export function passwordError(password: string): string | null {
  if (password.length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters.`;
  if (password.length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`;
  return null;
}
