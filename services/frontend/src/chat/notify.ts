/** Browser notifications of mentions while the tab is hidden. */

const supported = () => typeof Notification !== "undefined";

/** Asks for permission on the first click or key press, if the user has not decided yet
 * (browsers ignore or hold against a page asking out of the blue). Returns a cleanup. */
export function askNotificationPermission(): () => void {
  if (!supported() || Notification.permission !== "default") return () => {};
  const events = ["pointerdown", "keydown"] as const;
  const stop = () => events.forEach((e) => window.removeEventListener(e, ask));
  const ask = () => {
    stop();
    void Notification.requestPermission();
  };
  events.forEach((e) => window.addEventListener(e, ask));
  return stop;
}

/** Notifies "bob mentioned you" when the tab is hidden and notifications are allowed;
 * clicking it brings the tab back and calls `onOpen`. */
export function notifyMention(user: string, where: string, onOpen: () => void): void {
  if (!supported() || Notification.permission !== "granted" || document.visibilityState !== "hidden") return;
  let notification: Notification;
  try {
    notification = new Notification(`${user} mentioned you`, { body: `in ${where}` });
  } catch {
    return; // e.g. Chrome on Android: pages may not construct notifications (only service workers)
  }
  notification.onclick = () => {
    window.focus();
    onOpen();
    notification.close();
  };
}
