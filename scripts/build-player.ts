// npm run build:player: the browser reporter (src/player) as one minified ES module and one IIFE
// file (global `QoeReporter`), for browsers from 2017 on (ES2017: smart TVs lag behind).
import { build, type BuildOptions } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const PLAYER_BUNDLES = {
  esm: 'qoe-reporter.mjs',
  iife: 'qoe-reporter.iife.js',
} as const;

/** Size budget of each bundle, minified and gzipped. */
export const PLAYER_GZIP_BUDGET = 8 * 1024;

export interface BuiltBundle {
  file: string;
  bytes: number;
  gzipBytes: number;
}

export async function buildPlayer(outDir = path.join(root, 'dist', 'player')): Promise<BuiltBundle[]> {
  const common: BuildOptions = {
    entryPoints: [path.join(root, 'src', 'player', 'index.ts')],
    bundle: true,
    minify: true,
    sourcemap: true,
    target: 'es2017',
    platform: 'browser',
    legalComments: 'none',
    logLevel: 'warning',
  };
  await Promise.all([
    build({ ...common, format: 'esm', outfile: path.join(outDir, PLAYER_BUNDLES.esm) }),
    build({ ...common, format: 'iife', globalName: 'QoeReporter', outfile: path.join(outDir, PLAYER_BUNDLES.iife) }),
  ]);
  const out: BuiltBundle[] = [];
  for (const name of Object.values(PLAYER_BUNDLES)) {
    const file = path.join(outDir, name);
    const bytes = await readFile(file);
    out.push({ file, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length });
  }
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const bundles = await buildPlayer();
  for (const b of bundles) {
    console.log(`${path.relative(root, b.file)}: ${b.bytes} bytes, ${b.gzipBytes} bytes gzip (budget ${PLAYER_GZIP_BUDGET})`);
    if (b.gzipBytes >= PLAYER_GZIP_BUDGET) {
      console.error(`${path.basename(b.file)} is over the size budget`);
      process.exitCode = 1;
    }
  }
}
