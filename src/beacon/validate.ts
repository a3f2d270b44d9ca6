// Record validation. zod defines the contract (schema.ts) and words the errors; the hot path runs
// the JSON Schema that zod generates from it, compiled once by ajv, which is several times faster
// per record. A record ajv refuses goes to zod for the readable reasons, and zod has the last word.
// test/beacon/validate.test.ts checks with fast-check that the two agree.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { z } from 'zod';
import { createBeaconSchema, describeIssues, type Beacon, type BeaconLimits } from './schema.js';

export type Validation = { ok: true; beacon: Beacon } | { ok: false; errors: string[] };

export interface BeaconValidator {
  validate(value: unknown): Validation;
}

// ajv warns that `unicode` is deprecated; we need it (see above), so its warnings are not shown.
const quietLogger = { log: () => {}, warn: () => {}, error: (...args: unknown[]) => console.error(...args) };

export function createBeaconValidator(limits: BeaconLimits): BeaconValidator {
  const schema = createBeaconSchema(limits);
  const jsonSchema = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' });
  // unicode:false makes maxLength count UTF-16 code units, as zod's .max() does.
  const ajv = new Ajv2020({ allErrors: false, strict: false, unicode: false, validateFormats: false, logger: quietLogger });
  const fast = ajv.compile(jsonSchema);
  return {
    validate(value: unknown): Validation {
      if (fast(value)) return { ok: true, beacon: value as Beacon };
      const parsed = schema.safeParse(value);
      return parsed.success ? { ok: true, beacon: parsed.data } : { ok: false, errors: describeIssues(parsed.error) };
    },
  };
}
