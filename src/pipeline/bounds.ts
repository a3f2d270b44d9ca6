// The one bounding mechanism for client-controlled structures (cmcd, cdnHeaders, Extra): depth,
// key count, string length and serialized size, checked in one iterative walk that stops at the
// first limit crossed. No recursion, so a value nested 100,000 deep costs its depth limit, not a
// stack overflow; no JSON.stringify, so a 5 MB value costs its size cap, not 5 MB of output.

export interface StructureLimits {
  /** Nesting levels below the value itself (an object of scalars is depth 1). */
  maxDepth: number;
  /** Keys and array elements, counted over the whole structure. */
  maxKeys: number;
  /** Characters of any one string (keys included). */
  maxStringLength: number;
  /** Estimated JSON size in characters (escapes not counted). */
  maxBytes: number;
}

/** What cmcd and cdnHeaders may hold: a CMCD v2 dictionary is depth 4 (key -> inner list -> item -> params). */
export const STRUCTURE_LIMITS: StructureLimits = { maxDepth: 8, maxKeys: 512, maxStringLength: 1024, maxBytes: 16_384 };

/** Why a value crosses a limit, or undefined when it is within all of them. */
export function structureError(value: unknown, limits: StructureLimits): string | undefined {
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 0 }];
  let keys = 0;
  let size = 0;
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.length > limits.maxStringLength) return `a string longer than ${limits.maxStringLength} characters`;
      size += v.length + 2;
    } else if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) {
      size += 8;
    } else if (typeof v === 'object') {
      if (depth >= limits.maxDepth) return `nested deeper than ${limits.maxDepth} levels`;
      size += 2;
      if (Array.isArray(v)) {
        keys += v.length;
        if (keys > limits.maxKeys) return `more than ${limits.maxKeys} keys and elements`;
        for (const item of v as unknown[]) stack.push({ v: item, depth: depth + 1 });
        size += v.length;
      } else {
        for (const k in v) {
          if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
          if (++keys > limits.maxKeys) return `more than ${limits.maxKeys} keys and elements`;
          if (k.length > limits.maxStringLength) return `a key longer than ${limits.maxStringLength} characters`;
          size += k.length + 4;
          stack.push({ v: (v as Record<string, unknown>)[k], depth: depth + 1 });
        }
      }
    } else {
      return `a value of type ${typeof v}`;
    }
    if (size > limits.maxBytes) return `larger than ${limits.maxBytes} bytes`;
  }
  return undefined;
}
