// npm run diagnose, as a developer runs it: QoeEvents rows in NDJSON (one file, or a folder like
// the file sink's), the window [from, to), the rest as baseline, one JSON object out.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSessions, INCIDENTS, toQoeRows } from '../../src/analytics/synthetic-incidents.js';

function diagnose(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/diagnose.ts', ...args],
      { maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
  });
}

let root: string;
const from = '2026-11-15T19:00:00.000Z';
const to = '2026-11-15T22:00:00.000Z';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'diagnose-'));
  const sessions = generateSessions({
    start: new Date('2026-11-13T12:00:00Z'),
    end: new Date('2026-11-16T00:00:00Z'),
    sessionsPerHour: 200,
    seed: 21,
    incidents: [INCIDENTS.cdnRegionStartFailures(new Date(from))],
  });
  const lines = sessions.flatMap(toQoeRows).map((r) => JSON.stringify(r));
  // A folder like the file sink's, split over two files, with one line that is not a row.
  await mkdir(join(root, 'sink', 'QoeEvents'), { recursive: true });
  const half = Math.floor(lines.length / 2);
  await writeFile(join(root, 'sink', 'QoeEvents', 'QoeEvents-20261113T120000Z.ndjson'), `${lines.slice(0, half).join('\n')}\nnot json\n`);
  await writeFile(join(root, 'sink', 'QoeEvents', 'QoeEvents-20261115T000000Z.ndjson'), `${lines.slice(half).join('\n')}\n`);
  await writeFile(join(root, 'rows.ndjson'), `${lines.join('\n')}\n`);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('npm run diagnose', () => {
  it('names the CDN x region of a start-failure spike, in the documented shape', { timeout: 120_000 }, async () => {
    const r = await diagnose([join(root, 'sink'), '--kpi', 'vsf_rate', '--from', from, '--to', to]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('skipped 1 line');
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['kpi', 'window', 'baseline', 'causes']);
    expect(out.kpi).toBe('vsf_rate');
    expect(out.window).toMatchObject({ from, to });
    expect(out.window.sessions).toBeGreaterThan(500);
    expect(out.baseline.sessions).toBeGreaterThan(out.window.sessions);
    expect(out.causes).toHaveLength(1);
    expect(Object.keys(out.causes[0])).toEqual(['dimensions', 'sessions', 'kpiInWindow', 'kpiBaseline', 'share', 'lift']);
    expect(out.causes[0].dimensions).toEqual({ Region: 'US-CA', Cdn: 'Fastly' });
    expect(out.causes[0].kpiInWindow).toBeGreaterThan(0.25);
    expect(out.causes[0].share).toBeGreaterThan(0.8);
  });

  it('prints causes: [] when nothing deviates beyond chance, and refuses bad arguments', { timeout: 120_000 }, async () => {
    const quiet = await diagnose([join(root, 'rows.ndjson'), '--kpi', 'rebuffering_ratio', '--from', from, '--to', to]);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(JSON.parse(quiet.stdout).causes).toEqual([]);
    const bad = await diagnose([join(root, 'rows.ndjson'), '--kpi', 'stall_rate', '--from', from, '--to', to]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown --kpi');
  });
});
