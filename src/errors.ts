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
