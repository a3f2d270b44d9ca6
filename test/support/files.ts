import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** Every file under `dir` whose path (with forward slashes, relative to dir) matches `pattern`. */
export async function glob(dir: string, pattern: RegExp): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .filter((f) => pattern.test(path.relative(dir, f).split(path.sep).join('/')))
    .sort();
}

/** All lines of every NDJSON file under `dir`, parsed. */
export async function readNdjsonTree(dir: string): Promise<Record<string, unknown>[]> {
  const { readFile } = await import('node:fs/promises');
  const out: Record<string, unknown>[] = [];
  for (const f of await glob(dir, /\.ndjson$/)) {
    for (const line of (await readFile(f, 'utf8')).split('\n')) if (line) out.push(JSON.parse(line));
  }
  return out;
}
