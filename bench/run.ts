// npm run bench: every benchmark section, figures printed, ratios against baselines measured in the same run.
import { benchBlob } from './blob.js';
import { benchFreshness, benchTelemetry } from './freshness.js';
import { benchKusto } from './kusto.js';
import { benchLoad, benchSoak } from './load.js';
import { benchPipeline } from './pipeline.js';

const sections: Record<string, () => Promise<unknown>> = {
  pipeline: benchPipeline,
  kusto: () => benchKusto(),
  blob: () => benchBlob(),
  load: () => benchLoad(),
  freshness: () => benchFreshness(),
  telemetry: () => benchTelemetry(),
};

// Not run by default (10 minutes): `npm run bench -- soak` (SOAK_SECONDS to change the length).
const optional: Record<string, () => Promise<unknown>> = { soak: () => benchSoak() };

const only = process.argv.slice(2);
console.log(`node ${process.version}, ${new Date().toISOString()}`);
for (const [name, run] of Object.entries({ ...sections, ...optional })) {
  if (only.length ? !only.includes(name) : name in optional) continue;
  console.log(`\n== ${name}`);
  await run();
}
