/** How a room's messages read on screen: a separator before each new day, and consecutive
 * messages of one person shown as one group (their name once). */
import type { ChatMessage } from "../api/types";

/** Messages of the same person closer together than this form one group. */
export const GROUP_WINDOW_MS = 5 * 60_000;

export type TimelineItem =
  | { kind: "day"; key: string; label: string }
  | { kind: "message"; message: ChatMessage; continued: boolean };

/** Local midnight of the day `ts` falls on. */
export function startOfDay(ts: number): number {
  const day = new Date(ts);
  day.setHours(0, 0, 0, 0);
  return day.getTime();
}

/** "Today", "Yesterday" or the date, relative to `today` (a local midnight). */
export function dayLabel(day: number, today: number): string {
  if (day === today) return "Today";
  const yesterday = new Date(today);
  yesterday.setDate(yesterday.getDate() - 1);
  if (day === yesterday.getTime()) return "Yesterday";
  const date = new Date(day);
  return date.toLocaleDateString(undefined, {
    weekday: "long",
    month: "long",
    day: "numeric",
    year: date.getFullYear() === new Date(today).getFullYear() ? undefined : "numeric",
  });
}

export function timeline(messages: ChatMessage[], today: number): TimelineItem[] {
  const items: TimelineItem[] = [];
  let previous: ChatMessage | undefined;
  for (const message of messages) {
    const day = startOfDay(message.ts);
    const newDay = previous === undefined || startOfDay(previous.ts) !== day;
    if (newDay) items.push({ kind: "day", key: `day-${day}`, label: dayLabel(day, today) });
    const continued =
      !newDay && previous?.user === message.user && message.ts - previous.ts < GROUP_WINDOW_MS;
    items.push({ kind: "message", message, continued });
    previous = message;
  }
  return items;
}
