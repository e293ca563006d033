// When to try the cloud again: exponential backoff with jitter, and the cloud's own
// Retry-After when it gives one.

export interface BackoffSettings {
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = { baseMs: 1_000, maxMs: 5 * 60_000 };

/** Retry-After is honoured up to this; a longer one is taken as this. */
const MAX_RETRY_AFTER_MS = 60 * 60_000;

/**
 * The wait after `failures` failed attempts in a row (1 for the first): the ceiling
 * doubles from baseMs up to maxMs, and the wait is drawn from its upper half ("equal
 * jitter"), so gateways that lost the cloud together do not come back together, and
 * each wait is still at least half its ceiling.
 */
export function backoffDelay(failures: number, settings: BackoffSettings, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  const ceiling = Math.min(settings.maxMs, settings.baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Retry-After as delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS);
}
