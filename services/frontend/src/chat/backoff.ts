/** Reconnect delays: exponential growth, capped, with jitter so clients that lost the
 * server together do not all come back in the same instant. */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 10_000 };

/** Delay before attempt `attempt` (0-based): uniformly in [cap/2, cap], cap = min(max, base·2^attempt). */
export function backoffDelay(attempt: number, random: () => number, options = DEFAULT_BACKOFF): number {
  const cap = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(cap / 2 + (random() * cap) / 2);
}
