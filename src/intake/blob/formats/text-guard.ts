// Refuses binary content before any reader sees it.
import { Transform } from 'node:stream';
import { UnreadableFileError } from '../../../errors.js';

const SNIFF_BYTES = 4 * 1024;
const NUL_CHECK_BYTES = 64 * 1024;
const MAX_NON_TEXT = 0.1;

/** Why the head of a file is not text, or undefined when it is. */
function notText(head: Buffer): string | undefined {
  if (head.includes(0)) return 'file is binary, not text (NUL bytes)';
  // stream: a character cut at the end of the window is held back, not counted as invalid
  const text = new TextDecoder('utf-8').decode(head, { stream: true });
  let bad = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0xfffd || (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0c && c !== 0x0d)) bad++;
  }
  if (text.length > 0 && bad / text.length > MAX_NON_TEXT) {
    return `file is binary, not text (${Math.round((bad / text.length) * 100)}% of its first ${head.length} bytes are not UTF-8 text)`;
  }
  return undefined;
}

/**
 * Refuses binary content: holds back the first 4 KiB (or the whole file, if smaller) and lets it
 * through only if it is text, i.e. no NUL bytes and not dominated by invalid UTF-8 or control
 * characters (a stray Latin-1 "é" does not make a file binary); then checks the rest of the first
 * 64 KiB for NUL bytes as it passes.
 */
export function textGuard(): Transform {
  let held: Buffer[] = [];
  let heldBytes = 0;
  let judged = false;
  let checked = 0;
  const release = (t: Transform): Error | undefined => {
    judged = true;
    const head = Buffer.concat(held, heldBytes);
    const reason =
      notText(head.subarray(0, SNIFF_BYTES)) ??
      (head.subarray(0, NUL_CHECK_BYTES).includes(0) ? 'file is binary, not text (NUL bytes)' : undefined);
    if (reason) return new UnreadableFileError(reason);
    checked = heldBytes;
    held = [];
    t.push(head);
    return undefined;
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (!judged) {
        held.push(chunk);
        heldBytes += chunk.length;
        return done(heldBytes >= SNIFF_BYTES ? release(this) : undefined);
      }
      if (checked < NUL_CHECK_BYTES) {
        const window = chunk.subarray(0, NUL_CHECK_BYTES - checked);
        checked += window.length;
        if (window.includes(0)) return done(new UnreadableFileError('file is binary, not text (NUL bytes)'));
      }
      done(null, chunk);
    },
    flush(done) {
      done(judged ? undefined : release(this));
    },
  });
}
