/** Unsent composer text per user and room (or DM), kept in localStorage so that switching
 * rooms or reloading the page loses nothing; sending clears it. */

const PREFIX = "chat.draft";

export function draftKey(me: string, room: string): string {
  return `${PREFIX}:${me}:${room}`;
}

/** Storage can be missing or refuse (private mode, quota): drafts are then kept in memory only. */
function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export function loadDraft(key: string): string {
  return storage()?.getItem(key) ?? "";
}

export function saveDraft(key: string, text: string): void {
  try {
    if (text) storage()?.setItem(key, text);
    else storage()?.removeItem(key);
  } catch {
    // quota exceeded: the draft lives on in the composer until the page is left
  }
}
