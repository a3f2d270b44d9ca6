// Beacon transport: a bounded queue, batches as one JSON array in a text/plain body (no CORS
// preflight), fetch with keepalive while the page is visible, navigator.sendBeacon when it is
// hidden or going away, retries with exponential backoff (full jitter) on network errors, 5xx and
// 429, and no retry of 4xx (bad data stays bad). Nothing here throws into the page.

export interface TransportOptions {
  endpoint: string;
  /** Flush when this many beacons are queued. */
  flushCount?: number;
  /** Flush queued beacons at least this often. */
  flushMs?: number;
  /** Beacons per request. */
  maxBatch?: number;
  /** Oldest beacons are dropped beyond this. */
  maxQueue?: number;
  /** Attempts per batch before it is dropped. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export interface Transport {
  push(beacon: object, urgent?: boolean): void;
  /** Sends what is queued; `unloading` forces navigator.sendBeacon. */
  flush(unloading?: boolean): void;
  /** While the page is going away (pagehide until a pageshow), everything goes out at once by sendBeacon. */
  unloading(on: boolean): void;
  /** Stops timers (queued beacons stay queued until the next flush). */
  stop(): void;
}

/** sendBeacon's queue is 64 KiB per page; keepalive fetch bodies share the same budget. */
const BEACON_BYTES = 60_000;

export function createTransport(opts: TransportOptions): Transport {
  const endpoint = opts.endpoint;
  const flushCount = opts.flushCount ?? 10;
  const flushMs = opts.flushMs ?? 5000;
  const maxBatch = opts.maxBatch ?? 20;
  const maxQueue = opts.maxQueue ?? 200;
  const maxAttempts = opts.maxAttempts ?? 6;
  const baseDelayMs = opts.baseDelayMs ?? 1000;
  const maxDelayMs = opts.maxDelayMs ?? 30_000;

  let queue: object[] = [];
  let inFlight = false;
  let failures = 0;
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let leaving = false;

  const hidden = () => leaving || (typeof document !== 'undefined' && document.visibilityState === 'hidden');

  const trim = () => {
    if (queue.length > maxQueue) queue.splice(0, queue.length - maxQueue);
  };

  const post = (body: string) =>
    fetch(endpoint, { method: 'POST', body, headers: { 'Content-Type': 'text/plain' }, keepalive: true, credentials: 'omit' });

  const retryLater = (batch: object[]) => {
    failures++;
    if (failures >= maxAttempts) {
      failures = 0; // give up on this batch, keep the rest
    } else {
      queue = batch.concat(queue);
      trim();
    }
    const delay = Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** failures);
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      flush();
    }, delay);
  };

  /** Everything queued, via sendBeacon in chunks under its size limit; keepalive fetch when the browser refuses. */
  const sendAllNow = () => {
    while (queue.length) {
      let n = Math.min(queue.length, maxBatch);
      let body = JSON.stringify(queue.slice(0, n));
      while (n > 1 && body.length > BEACON_BYTES) body = JSON.stringify(queue.slice(0, (n = n >> 1)));
      queue.splice(0, n);
      let sent = false;
      try {
        sent = !!navigator.sendBeacon && navigator.sendBeacon(endpoint, new Blob([body], { type: 'text/plain' }));
      } catch {
        /* fall through to fetch */
      }
      if (!sent) {
        try {
          post(body).catch(() => {});
        } catch {
          /* nothing else to try while the page goes away */
        }
      }
    }
  };

  function flush(unloading?: boolean): void {
    try {
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = undefined;
      if (unloading || hidden()) return sendAllNow();
      if (inFlight || retryTimer || !queue.length) return;
      const batch = queue.splice(0, maxBatch);
      inFlight = true;
      post(JSON.stringify(batch)).then(
        (res) => {
          inFlight = false;
          if (res.status >= 500 || res.status === 429) return retryLater(batch);
          failures = 0; // 2xx: done; other 4xx: the data is bad, drop it
          if (queue.length) flush();
        },
        () => {
          inFlight = false;
          retryLater(batch);
        },
      );
    } catch {
      inFlight = false;
    }
  }

  return {
    push(beacon, urgent) {
      try {
        queue.push(beacon);
        trim();
        if (urgent || queue.length >= flushCount || hidden()) flush();
        else if (!flushTimer) flushTimer = setTimeout(() => flush(), flushMs);
      } catch {
        /* never into the page */
      }
    },
    flush,
    unloading(on) {
      leaving = on;
    },
    stop() {
      clearTimeout(flushTimer);
      clearTimeout(retryTimer);
      flushTimer = retryTimer = undefined;
    },
  };
}
