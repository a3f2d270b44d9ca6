// The one retry policy: exponential backoff with full jitter; permanent errors are rethrown at once.

export interface RetryPolicy {
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
}

/** An error that retrying cannot fix (bad mapping, unknown table, auth): dead-letter at once. */
export class PermanentError extends Error {
  override name = 'PermanentError';
}

/** An error that carries the server's own idea of when to retry (429/503 Retry-After). */
export interface RetryAfterHint {
  retryAfterMs?: number;
}

export function isPermanent(err: unknown): boolean {
  return err instanceof PermanentError || (err as { permanent?: boolean } | null)?.permanent === true;
}

/** Full-jitter backoff (AWS architecture blog): uniform in [0, min(max, base * 2^attempt)]. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  return Math.floor(random() * cap);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function withRetry<T>(
  op: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await op(attempt);
    } catch (err) {
      if (isPermanent(err) || attempt + 1 >= policy.maxAttempts) throw err;
      const hinted = (err as RetryAfterHint | null)?.retryAfterMs;
      const delay = hinted !== undefined ? Math.min(hinted, policy.maxMs) : backoffMs(attempt, policy);
      onRetry?.(err, attempt + 1, delay);
      await sleep(delay);
    }
  }
}
