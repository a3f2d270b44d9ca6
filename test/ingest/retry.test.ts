import { describe, expect, it } from 'vitest';
import { backoffMs, isPermanent, PermanentError, withRetry } from '../../src/ingest/retry.js';

const policy = { maxAttempts: 4, baseMs: 100, maxMs: 1000 };
const fast = { maxAttempts: 4, baseMs: 1, maxMs: 2 };

describe('retry policy', () => {
  it('full jitter: the delay is uniform in [0, min(max, base * 2^attempt))', () => {
    expect(backoffMs(0, policy, () => 0.999)).toBe(99);
    expect(backoffMs(3, policy, () => 0.5)).toBe(400);
    expect(backoffMs(10, policy, () => 0.999)).toBe(999);
    expect(backoffMs(5, policy, () => 0)).toBe(0);
  });

  it('retries until an attempt succeeds, reporting each retry', async () => {
    const seen: number[] = [];
    const result = await withRetry(
      async (attempt) => {
        if (attempt < 2) throw new Error(`fail ${attempt}`);
        return 'ok';
      },
      fast,
      (_err, attempt) => seen.push(attempt),
    );
    expect(result).toBe('ok');
    expect(seen).toEqual([1, 2]);
  });

  it('gives up after maxAttempts with the last error', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw new Error(`fail ${calls}`);
      }, fast),
    ).rejects.toThrow('fail 4');
    expect(calls).toBe(4);
  });

  it('rethrows a permanent error at once', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw new PermanentError('bad mapping');
      }, fast),
    ).rejects.toBeInstanceOf(PermanentError);
    expect(calls).toBe(1);
    expect(isPermanent({ permanent: true })).toBe(true);
    expect(isPermanent(new Error('x'))).toBe(false);
  });

  it("honours the server's Retry-After hint, capped at maxMs", async () => {
    const delays: number[] = [];
    await withRetry(
      async (attempt) => {
        if (attempt === 0) throw Object.assign(new Error('429'), { retryAfterMs: 5000 });
        return 1;
      },
      { maxAttempts: 2, baseMs: 1, maxMs: 3 },
      (_e, _a, delay) => delays.push(delay),
    );
    expect(delays).toEqual([3]);
  });
});
