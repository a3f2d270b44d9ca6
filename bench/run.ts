// npm run bench: every benchmark section, figures printed, ratios against baselines measured in the same run.
import { benchKusto } from './kusto.js';
import { benchPipeline } from './pipeline.js';

const sections: Record<string, () => Promise<unknown>> = {
  pipeline: benchPipeline,
  kusto: () => benchKusto(),
};

const only = process.argv.slice(2);
console.log(`node ${process.version}, ${new Date().toISOString()}`);
for (const [name, run] of Object.entries(sections)) {
  if (only.length && !only.includes(name)) continue;
  console.log(`\n== ${name}`);
  await run();
}
