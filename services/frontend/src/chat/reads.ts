/** Read positions go to the server at most once per READ_EVERY_MS: the first at once, what
 * comes meanwhile together at the end of the interval (the newest per room). */
export const READ_EVERY_MS = 500;

export class ReadThrottle {
  private readonly waiting = new Map<string, number>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly send: (room: string, seq: number) => void,
    private readonly everyMs = READ_EVERY_MS,
  ) {}

  report(room: string, seq: number): void {
    this.waiting.set(room, Math.max(seq, this.waiting.get(room) ?? 0));
    if (this.timer === null) this.flush();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.waiting.clear();
  }

  private flush(): void {
    this.timer = null;
    if (this.waiting.size === 0) return;
    for (const [room, seq] of this.waiting) this.send(room, seq);
    this.waiting.clear();
    this.timer = setTimeout(() => this.flush(), this.everyMs);
  }
}
