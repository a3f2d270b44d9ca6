// Tiny measuring helpers shared by the bench sections: best of N timed runs of a loop.

export interface Rate {
  perSecond: number;
  mbPerSecond: number;
  seconds: number;
}

/** Runs `fn` over the corpus repeatedly for about `seconds`, `rounds` times; reports the best round. */
export function measure(label: string, units: number, bytes: number, fn: () => void, seconds = 2, rounds = 3): Rate {
  fn(); // warm-up
  let best: Rate | undefined;
  for (let round = 0; round < rounds; round++) {
    let loops = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < seconds) {
      fn();
      loops++;
      elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    }
    const rate = { perSecond: (units * loops) / elapsed, mbPerSecond: (bytes * loops) / elapsed / 1e6, seconds: elapsed };
    if (!best || rate.perSecond > best.perSecond) best = rate;
  }
  console.log(`  ${label.padEnd(44)} ${fmt(best!.perSecond).padStart(10)} /s  ${best!.mbPerSecond.toFixed(1).padStart(7)} MB/s`);
  return best!;
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
