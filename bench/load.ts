// Load and soak with autocannon against the local host in a child process: single-beacon and
// 100-beacon posts; beacons/s, p50/p99 latency, and the server's RSS over time.
import { fork, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
// @ts-expect-error autocannon ships no types
import autocannon from 'autocannon';
import { makeCorpus } from './corpus.js';
import { fmt } from './measure.js';

async function startServer(): Promise<{ child: ChildProcess; port: number; dir: string }> {
  const child = fork(fileURLToPath(new URL('./serve.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const { port, dir } = await new Promise<{ port: number; dir: string }>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString())));
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return { child, port, dir };
}

function rssOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (m: { rss: number }) => resolve(m.rss));
    child.send('rss');
  });
}

async function run(port: number, bodies: string[], beaconsPerRequest: number, seconds: number, connections: number) {
  let i = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/api/beacons`,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: {
          'content-type': 'text/plain',
          'x-forwarded-for': '81.2.69.142',
          'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
        },
        setupRequest: (req: Record<string, unknown>) => ({ ...req, body: bodies[i++ % bodies.length] }),
      },
    ],
  });
  const ok = result['2xx'];
  return {
    requestsPerSec: ok / seconds,
    beaconsPerSec: (ok * beaconsPerRequest) / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

export async function benchLoad(seconds = 10): Promise<Record<string, number>> {
  const { child, port, dir } = await startServer();
  try {
    const single = makeCorpus(2000, 1).map((c) => c.body.toString());
    const hundred = makeCorpus(200, 100).map((c) => c.body.toString());
    const figures: Record<string, number> = {};
    for (const [label, bodies, per] of [
      ['1 beacon / request', single, 1],
      ['100 beacons / request', hundred, 100],
    ] as const) {
      const r = await run(port, [...bodies], per, seconds, 128);
      console.log(
        `  ${label.padEnd(24)} ${fmt(r.beaconsPerSec).padStart(9)} beacons/s  ${fmt(r.requestsPerSec).padStart(6)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  non-2xx ${r.non2xx}  errors ${r.errors}`,
      );
      figures[`${per}PerRequestBeaconsPerSec`] = r.beaconsPerSec;
    }
    return figures;
  } finally {
    child.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Soak: steady 100-beacon posts for `seconds` (SOAK_SECONDS, default 600), RSS sampled each interval. */
export async function benchSoak(seconds = Number(process.env.SOAK_SECONDS ?? 600)): Promise<Record<string, number>> {
  const { child, port, dir } = await startServer();
  try {
    const bodies = makeCorpus(200, 100).map((c) => c.body.toString());
    const step = Math.max(10, Math.floor(seconds / 10));
    const samples: number[] = [];
    let beacons = 0;
    for (let t = 0; t < seconds; t += step) {
      const r = await run(port, bodies, 100, step, 64);
      beacons += r.beaconsPerSec * step;
      const rss = await rssOf(child);
      samples.push(rss);
      console.log(
        `  t=${String(t + step).padStart(4)} s  ${fmt(r.beaconsPerSec).padStart(8)} beacons/s  p99 ${r.p99} ms  non-2xx ${r.non2xx}  server RSS ${(rss / 1024 / 1024).toFixed(0)} MB`,
      );
    }
    const warm = samples[Math.min(1, samples.length - 1)]!;
    const growth = (Math.max(...samples.slice(1)) - warm) / 1024 / 1024;
    console.log(`  soak: ${fmt(beacons)} beacons in ${seconds} s; RSS growth after warm-up ${growth.toFixed(0)} MB (bound: 64 MB)`);
    return { soakSeconds: seconds, rssGrowthMb: growth };
  } finally {
    child.kill();
    await rm(dir, { recursive: true, force: true });
  }
}
