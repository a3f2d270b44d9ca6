// Named errors shared across rooms, and the one way to turn an unknown throw into a message.

/** The message of anything thrown: an Error's message, else its string form. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  return String(err);
}

/** A problem with the request as a whole; `status` is the HTTP answer. */
export class IntakeError extends Error {
  override name = 'IntakeError';
  constructor(
    readonly status: 400 | 403 | 405 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

/** Records were neither ingested nor dead-lettered: the caller must not acknowledge them. */
export class NotDurableError extends Error {
  override name = 'NotDurableError';
}

/** A dropped file unreadable as a whole: corrupt gzip, binary content. Dead-lettered whole, never retried. */
export class UnreadableFileError extends Error {
  override name = 'UnreadableFileError';
}

/** The name of anything thrown (`TimeoutError`, `AbortError`...), or undefined when it has none. */
export function errorName(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && typeof (err as { name?: unknown }).name === 'string')
    return (err as { name: string }).name;
  return undefined;
}

/** The system error code of anything thrown or of its cause (`ENOENT`, `ECONNREFUSED`...), if any. */
export function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}
