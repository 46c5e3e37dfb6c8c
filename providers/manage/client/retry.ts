// When a failed request may be sent again, and how long to wait first.
// Reads and idempotent writes retry on 429, 502/503/504 and network errors; a POST never does,
// because ConnectWise has no idempotency keys and a blind re-send can duplicate an object.

export interface RetryPolicy {
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
  /** Ceiling on a server-requested Retry-After wait. */
  retryAfterCapMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseMs: 300, maxMs: 8_000, retryAfterCapMs: 60_000 };

// An array, not a Set: a captured Set fails in the provider host (reference/pulumi-dynamic.md §3).
const RETRYABLE_STATUS: readonly number[] = [429, 502, 503, 504];

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.includes(status);
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Full-jitter exponential backoff, capped; a server hint wins (capped too). */
export function retryDelayMs(policy: RetryPolicy, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.retryAfterCapMs);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
