// Limits the pipeline applies to every record, whatever its source.
import type { BeaconLimits } from '../beacon/schema.js';

export interface PipelineLimits extends BeaconLimits {
  /** Serialized size cap of the Extra column (unknown fields) per record. */
  maxExtraBytes: number;
}

/** Raw text kept per rejected record in the dead-letter store (characters). */
export const MAX_RAW_CHARS = 4096;
