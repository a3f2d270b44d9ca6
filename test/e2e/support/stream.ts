// A short multi-bitrate DASH stream made by ffmpeg from its test sources: three H.264
// renditions (240p 300k, 480p 1000k, 720p 2500k) and AAC audio, 2 s segments, SegmentTemplate.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const RENDITIONS = [
  { height: 240, kbps: 300 },
  { height: 480, kbps: 1000 },
  { height: 720, kbps: 2500 },
] as const;

export const MANIFEST = 'manifest.mpd';

export async function generateDashStream(dir: string, seconds = 30): Promise<{ dir: string; manifest: string }> {
  const split = RENDITIONS.map((_, i) => `[s${i}]`).join('');
  const scales = RENDITIONS.map((r, i) => `[s${i}]scale=-2:${r.height}[v${i}]`).join(';');
  const rates = RENDITIONS.flatMap((r, i) => [`-b:v:${i}`, `${r.kbps}k`, `-maxrate:v:${i}`, `${r.kbps}k`, `-bufsize:v:${i}`, `${r.kbps}k`]);
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=1280x720:rate=25',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000',
    '-t',
    String(seconds),
    '-filter_complex',
    `[0:v]split=${RENDITIONS.length}${split};${scales}`,
    ...RENDITIONS.flatMap((_, i) => ['-map', `[v${i}]`]),
    '-map',
    '1:a',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-g',
    '50',
    '-keyint_min',
    '50',
    '-sc_threshold',
    '0', // a key frame every 2 s: one per segment
    ...rates,
    '-c:a',
    'aac',
    '-b:a',
    '64k',
    '-ac',
    '2',
    '-f',
    'dash',
    '-seg_duration',
    '2',
    '-use_template',
    '1',
    '-use_timeline',
    '0',
    '-adaptation_sets',
    'id=0,streams=v id=1,streams=a',
    path.join(dir, MANIFEST),
  ];
  try {
    await run('ffmpeg', args, { timeout: 120_000, maxBuffer: 4 * 1024 * 1024 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('ffmpeg is not installed (apt-get install -y ffmpeg); it is an e2e prerequisite');
    throw new Error(`ffmpeg failed: ${e.stderr ?? e.message}`);
  }
  const mpd = await readFile(path.join(dir, MANIFEST), 'utf8');
  if ((mpd.match(/<Representation /g) ?? []).length !== RENDITIONS.length + 1) throw new Error(`unexpected manifest:\n${mpd}`);
  return { dir, manifest: MANIFEST };
}
