// `npm run kpis` as a developer runs it: a child process on real files, one of them written by the
// real file sink (data/sink/QoeEvents/ layout, rows split over two time windows).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSink } from '../../src/ingest/sinks/file.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const golden = path.join(root, 'test/analytics/golden');
const tmp = await mkdtemp(path.join(tmpdir(), 'kpis-cli-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const expected = JSON.parse(await readFile(path.join(golden, 'expected.json'), 'utf8')) as {
  evaluationTime: string;
  sessions: Array<{ sessionId: string; source: string; stallMs: number; playTimeMs: number; qoeScore: number | null }>;
  totals: { sessions: number; stallMs: number; playTimeMs: number };
};

/** The expected totals, numbers to 9 decimals (expected.json holds 10 significant digits). */
const totalsLike = () => Object.fromEntries(Object.entries(expected.totals).map(([k, v]) => [k, expect.closeTo(v, 9)]));

async function kpis(...args: string[]): Promise<{ lines: Array<Record<string, unknown>>; stderr: string }> {
  const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/kpis.ts', ...args], { cwd: root });
  return {
    lines: stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
    stderr,
  };
}

describe('npm run kpis', () => {
  it('prints one line per golden session, then the totals', async () => {
    const { lines, stderr } = await kpis(path.join(golden, 'rows.ndjson'), '--at', expected.evaluationTime);
    const totals = lines.pop()!;
    expect(lines).toHaveLength(expected.sessions.length);
    for (const want of expected.sessions) {
      const got = lines.find((l) => l.sessionId === want.sessionId && l.source === want.source)!;
      expect(got).toMatchObject({ stallMs: want.stallMs, playTimeMs: want.playTimeMs });
      expect(Object.keys(got)).toEqual(
        expect.arrayContaining([
          'attempt',
          'videoStartTimeMs',
          'vsf',
          'ebvs',
          'playbackFailure',
          'stallCount',
          'rebufferingRatio',
          'avgBitrateKbps',
          'qoeScore',
        ]),
      );
    }
    expect(totals.totals).toMatchObject(totalsLike());
    expect(stderr).toContain(`${expected.sessions.length} sessions from 126 rows in 1 files`);
  });

  it('reads the file sink folder (data/sink or data/sink/QoeEvents) and skips lines that are not rows', async () => {
    const rows = (await readFile(path.join(golden, 'rows.ndjson'), 'utf8')).split('\n').filter(Boolean);
    let now = new Date('2026-11-23T10:00:00Z');
    const sink = new FileSink(tmp, 300, () => now);
    const half = Math.floor(rows.length / 2);
    await sink.write({ id: 'a', table: 'QoeEvents', rows: rows.slice(0, half), bytes: 0, createdAt: now });
    now = new Date('2026-11-23T10:06:00Z');
    await sink.write({
      id: 'b',
      table: 'QoeEvents',
      rows: [...rows.slice(half), 'not json', '[1,2]', '{"SessionId":"x"}'],
      bytes: 0,
      createdAt: now,
    });
    await writeFile(path.join(tmp, 'unrelated.txt'), 'ignored');
    for (const target of [tmp, path.join(tmp, 'QoeEvents')]) {
      const { lines, stderr } = await kpis(target, '--at', expected.evaluationTime);
      expect(lines.pop()!.totals).toMatchObject(totalsLike());
      expect(stderr).toContain('in 2 files, 3 lines skipped');
    }
  });

  it('drops values of the wrong type instead of computing with them', async () => {
    const file = path.join(tmp, 'typed.ndjson');
    const r = (s: number, EventType: string, extra: object = {}) =>
      JSON.stringify({
        SessionId: 'typed',
        Source: 'http',
        Timestamp: new Date(Date.UTC(2026, 10, 23, 10, 0, s)).toISOString(),
        EventType,
        ...extra,
      });
    await writeFile(
      file,
      [
        r(0, 'start'),
        r(2, 'play', { StartupMs: '1000', BitrateKbps: 'lots', Seq: 'x' }),
        r(5, 'stall_start', { Fatal: 'yes' }),
        r(7, 'stall_end', { StallMs: { ms: 2 } }),
        r(11, 'end'),
      ].join('\n'),
    );
    const { lines } = await kpis(file, '--at', expected.evaluationTime);
    expect(lines[0]).toMatchObject({
      videoStartTimeMs: 2000,
      avgBitrateKbps: null,
      stallCount: 1,
      stallMs: 2000,
      playTimeMs: 7000,
      playbackFailure: false,
    });
  });

  it('the evaluation time decides who is still starting', async () => {
    const early = await kpis(path.join(golden, 'rows.ndjson'), '--at', '2026-11-23T10:28:30Z');
    const g09 = early.lines.find((l) => l.sessionId === 'g09-json-still-starting')!;
    expect(g09).toMatchObject({ starting: true, ebvs: false });
    const late = await kpis(path.join(golden, 'rows.ndjson'), '--at', '2026-11-23T11:00:00Z');
    expect(late.lines.find((l) => l.sessionId === 'g09-json-still-starting')).toMatchObject({ starting: false, ebvs: true });
  });

  it('answers bad arguments with usage and exit code 2', async () => {
    await expect(kpis()).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('usage: npm run kpis') });
    await expect(kpis(path.join(golden, 'rows.ndjson'), '--at', 'yesterday')).rejects.toMatchObject({ code: 2 });
    await expect(kpis(path.join(tmp, 'missing.ndjson'))).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('ENOENT') });
  });
});
