// Root cause: which combination of up to three dimension values explains why a KPI got worse in a
// window, found by contrasting the window with a baseline (what Data Explorer's diffpatterns
// does, here testable and deterministic).
//
// Top-down drill-down. Starting from all sessions, a segment is split along the dimension whose
// worse values are the fewest sessions while everything else in the segment stays normal:
// - a value is "worse" when its window beats its own baseline in a one-sided test (two-proportion
//   z for rates, ratio-estimator z otherwise) at alpha / (number of candidates) (Bonferroni), the
//   change matters (the KPI's minimum relative and absolute change) and it is at least half as
//   bad as the worst value of that dimension;
// - "everything else stays normal": the rest of the segment has enough sessions and deviates
//   less than a quarter as much as the worse values do.
// A segment that no dimension splits that way is itself the cause when it is significantly worse:
// an incident on one CDN in one region ends as {Cdn, Region} (splitting further by Os leaves an
// equally bad rest), and a global outage ends as {} (every dimension's rest is as bad).
// Several incidents at once: after a pass, the sessions of the causes found are set aside and the
// rest is searched again.
import { DIMENSIONS, KPIS, mattersEnough, percentile, type DimensionName, type KpiDefinition, type KpiName } from './root-cause-kpis.js';
import type { QoeSession } from './root-cause-sessions.js';
import {
  addMoments,
  addSample,
  binomialUpperTail,
  contrast,
  emptyMoments,
  subtractMoments,
  type Contrast,
  type Moments,
} from './root-cause-stats.js';

export interface RootCauseOptions {
  /** Sessions a segment needs in the window to be judged (default 30). */
  minSessions?: number;
  /** Family-wise false-alarm rate of one ranking (default 0.01). */
  alpha?: number;
  /** Dimension values combined at most (default 3). */
  maxDimensions?: number;
  dimensions?: readonly DimensionName[];
}

export interface Cause {
  /** {} means all sessions (a global problem). */
  dimensions: Partial<Record<DimensionName, string>>;
  /** Window sessions of the segment that count for the KPI. */
  sessions: number;
  kpiInWindow: number | null;
  kpiBaseline: number | null;
  /** Part of the whole window's excess (how much worse than the baseline) this segment holds. */
  share: number;
  /** kpiInWindow / kpiBaseline. */
  lift: number | null;
  /** Sessions that would have been fine at the baseline rate (rates), else the segment's sessions. */
  impactedSessions: number;
  z: number;
  p: number;
}

export interface RootCauseResult {
  kpi: KpiName;
  window: { sessions: number; kpi: number | null };
  baseline: { sessions: number; kpi: number | null };
  causes: Cause[];
}

type Combo = readonly number[]; // indexes into the dimension list, ascending

interface Sample {
  dims: string[];
  x: number;
  w: number;
  /** -1 takes a sample out. */
  n?: 1 | -1;
}

interface Segment {
  key: number;
  combo: Combo;
  values: string[];
  win: Moments;
  base: Moments;
}

/**
 * Segments are keyed by numbers, not strings (this is the hot loop): each dimension value is an
 * "atom" (dimension + 1) * 2^13 + value id, and a key packs up to three atoms in 17 bits each
 * (51 bits, exact in a double). A dimension with more than 8191 distinct values in one ranking
 * lumps the rest into one id that is never named as a cause.
 */
const ATOM = 131_072;
const VALUE_IDS = 8192;
const OVERFLOW = VALUE_IDS - 1;

class Cube {
  readonly segments = new Map<number, Segment>();
  /** parent key * 16 + dimension index -> child segments. */
  readonly children = new Map<number, Segment[]>();
  private readonly ids: Array<Map<string, number>>;

  constructor(
    private readonly dimensionCount: number,
    private readonly maxDimensions: number,
    minSessions: number,
    win: Sample[],
    base: Sample[],
  ) {
    this.ids = Array.from({ length: dimensionCount }, () => new Map());
    for (const s of win) this.add(s, 'win', true);
    // Segments too small to judge have no judgeable extension either: drop them before the
    // baseline pass, which then only descends where the window has enough sessions.
    for (const [k, seg] of this.segments) if (seg.win.n < minSessions && seg.combo.length > 0) this.segments.delete(k);
    for (const s of base) this.add(s, 'base', false);
    for (const seg of this.segments.values()) {
      seg.combo.forEach((d, i) => {
        const parent = this.keyOf(
          seg.combo.filter((_, j) => j !== i),
          seg.values.filter((_, j) => j !== i),
        );
        const k = parent * 16 + d;
        const list = this.children.get(k);
        if (list) list.push(seg);
        else this.children.set(k, [seg]);
      });
    }
  }

  childrenOf(seg: Segment, d: number): Segment[] {
    return this.children.get(seg.key * 16 + d) ?? [];
  }

  root(): Segment {
    return this.segments.get(0)!;
  }

  private atom(d: number, value: string, create: boolean): number {
    const ids = this.ids[d]!;
    let id = ids.get(value);
    if (id === undefined) {
      if (!create) return -1;
      id = Math.min(ids.size, OVERFLOW);
      ids.set(value, id);
    }
    return (d + 1) * VALUE_IDS + id;
  }

  private keyOf(combo: readonly number[], values: readonly string[]): number {
    return combo.reduce((k, d, i) => k * ATOM + this.atom(d, values[i]!, false), 0);
  }

  /** Takes a sample out again (cheaper than rebuilding when a pass set a few sessions aside). */
  remove(s: Sample, side: 'win' | 'base'): void {
    this.add({ dims: s.dims, x: s.x, w: -s.w, n: -1 }, side, false);
  }

  /** Every combination of up to maxDimensions of the sample's values, depth first. */
  private add(s: Sample, side: 'win' | 'base', create: boolean): void {
    const atoms = s.dims.map((v, d) => this.atom(d, v, create));
    const visit = (start: number, key: number, combo: number[]) => {
      let seg = this.segments.get(key);
      if (!seg) {
        if (!create) return;
        seg = { key, combo: [...combo], values: combo.map((d) => s.dims[d]!), win: emptyMoments(), base: emptyMoments() };
        this.segments.set(key, seg);
      }
      addSample(seg[side], s.x, s.w, s.n);
      if (combo.length >= this.maxDimensions) return;
      for (let d = start; d < this.dimensionCount; d++) {
        const a = atoms[d]!;
        if (a < 0 || a % VALUE_IDS === OVERFLOW) continue;
        combo.push(d);
        visit(d + 1, key * ATOM + a, combo);
        combo.pop();
      }
    };
    visit(0, 0, []);
  }
}

export function rankRootCauses(kpiName: KpiName, window: QoeSession[], baseline: QoeSession[], o: RootCauseOptions = {}): RootCauseResult {
  const kpi = KPIS[kpiName];
  const dims = o.dimensions ?? DIMENSIONS;
  const minSessions = o.minSessions ?? 30;
  const alpha = o.alpha ?? 0.01;

  // A percentile KPI is contrasted as the share of sessions above the baseline's percentile.
  const threshold = kpi.percentile
    ? percentile(
        baseline.flatMap((s) => kpi.sample(s) ?? []).map((v) => v.x),
        kpi.percentile,
      )
    : null;
  const toSamples = (list: QoeSession[]): Array<Sample & { s: QoeSession }> =>
    list.flatMap((s) => {
      const v = kpi.sample(s);
      if (!v) return [];
      const x = threshold !== null ? (v.x > threshold ? 1 : 0) : v.x;
      return [{ dims: dims.map((d) => s.dims[d]), x, w: v.w, s }];
    });
  let win = toSamples(window);
  let base = toSamples(baseline);
  const kpiOf = (list: Array<{ s: QoeSession }>): number | null =>
    valueOf(
      kpi,
      list.map((x) => x.s),
    );

  const result: RootCauseResult = {
    kpi: kpiName,
    window: { sessions: win.length, kpi: kpiOf(win) },
    baseline: { sessions: base.length, kpi: kpiOf(base) },
    causes: [],
  };
  const rootWin = emptyMoments();
  const rootBase = emptyMoments();
  for (const s of win) addSample(rootWin, s.x, s.w);
  for (const s of base) addSample(rootBase, s.x, s.w);
  const total = contrast(rootWin, rootBase, kpi.worse, kpi.proportion);
  const totalExcess = Math.max(0, total.worseBy * rootWin.w);

  const found: Array<Omit<Segment, 'key'>> = [];
  if (win.length === 0) return result;
  const cube = new Cube(dims.length, o.maxDimensions ?? 3, minSessions, win, base);
  const tests = Math.max(1, cube.segments.size);
  const judge = new Judge(kpi, alpha / tests, minSessions, dims.length, o.maxDimensions ?? 3);
  for (let pass = 0; pass < 4 && cube.root().win.n >= minSessions; pass++) {
    const causes = judge
      .explain(cube, cube.root())
      .map((c) => ({ combo: c.combo, values: [...c.values], win: { ...c.win }, base: { ...c.base } }));
    if (causes.length === 0) break;
    found.push(...causes);
    // Set the explained sessions aside (window and baseline alike) and look for another incident.
    const inAny = (x: Sample) => causes.some((c) => c.combo.every((d, i) => x.dims[d] === c.values[i]));
    for (const x of win) if (inAny(x)) cube.remove(x, 'win');
    for (const x of base) if (inAny(x)) cube.remove(x, 'base');
    win = win.filter((x) => !inAny(x));
    base = base.filter((x) => !inAny(x));
  }

  const causes = found.map((seg): Cause => {
    const c = contrast(seg.win, seg.base, kpi.worse, kpi.proportion);
    const inSeg = (x: Sample) => seg.combo.every((d, i) => x.dims[d] === seg.values[i]);
    const winS = toSamples(window).filter(inSeg);
    const baseS = toSamples(baseline).filter(inSeg);
    const inWindow = kpiOf(winS);
    const inBaseline = kpiOf(baseS);
    const excess = Math.max(0, c.worseBy * seg.win.w);
    return {
      dimensions: Object.fromEntries(seg.combo.map((d, i) => [dims[d]!, seg.values[i]!])),
      sessions: seg.win.n,
      kpiInWindow: inWindow,
      kpiBaseline: inBaseline,
      share: 0,
      lift: inWindow !== null && inBaseline ? inWindow / inBaseline : null,
      impactedSessions: kpi.proportion ? Math.round(excess) : seg.win.n,
      z: c.z,
      p: c.p,
      excess,
    } as Cause & { excess: number };
  });
  const denominator = Math.max(
    totalExcess,
    causes.reduce((n, c) => n + (c as Cause & { excess: number }).excess, 0),
  );
  for (const c of causes as Array<Cause & { excess: number }>) {
    c.share = denominator > 0 ? c.excess / denominator : 0;
    delete (c as Partial<typeof c>).excess;
  }
  result.causes = causes.sort((a, b) => b.share - a.share || Object.keys(a.dimensions).length - Object.keys(b.dimensions).length);
  return result;
}

/** The KPI's value over sessions: the weighted mean, or the percentile. */
export function valueOf(kpi: KpiDefinition, sessions: QoeSession[]): number | null {
  const samples = sessions.flatMap((s) => kpi.sample(s) ?? []);
  if (kpi.percentile)
    return percentile(
      samples.map((v) => v.x),
      kpi.percentile,
    );
  const w = samples.reduce((n, v) => n + v.w, 0);
  return w > 0 ? samples.reduce((n, v) => n + v.w * v.x, 0) / w : null;
}

class Judge {
  constructor(
    private readonly kpi: KpiDefinition,
    private readonly alpha: number,
    private readonly minSessions: number,
    private readonly dimensionCount: number,
    private readonly maxDimensions: number,
  ) {}

  private test(win: Moments, base: Moments): Contrast {
    return contrast(win, base, this.kpi.worse, this.kpi.proportion);
  }

  /** Rates: the exact binomial tail of the window's count at the baseline's rate (smoothed, so a
   * baseline without a single failure does not make one failure significant). */
  private exactP(win: Moments, base: Moments): number {
    if (!this.kpi.proportion) return 0;
    const rate = (base.wx + 0.5) / (base.w + 1);
    return this.kpi.worse > 0
      ? binomialUpperTail(Math.round(win.wx), win.n, rate)
      : binomialUpperTail(win.n - Math.round(win.wx), win.n, 1 - rate);
  }

  /** Significantly worse, and by enough to matter. */
  worse(win: Moments, base: Moments): boolean {
    if (win.n < this.minSessions) return false;
    const c = this.test(win, base);
    if (c.p >= this.alpha || this.exactP(win, base) >= this.alpha) return false;
    // A percentile KPI is judged on its exceedance: at least twice the baseline's and 5 points more.
    if (this.kpi.percentile) return c.window !== null && c.baseline !== null && c.window >= 2 * c.baseline && c.window - c.baseline >= 0.05;
    return mattersEnough(this.kpi, c.window, c.baseline);
  }

  explain(cube: Cube, seg: Segment): Segment[] {
    let best: { bad: Segment[]; share: number; z: number } | undefined;
    if (seg.combo.length < this.maxDimensions) {
      for (let d = 0; d < this.dimensionCount; d++) {
        if (seg.combo.includes(d)) continue;
        const kids = cube.childrenOf(seg, d);
        const judged = kids.filter((k) => this.worse(k.win, k.base)).map((k) => ({ k, c: this.test(k.win, k.base) }));
        if (judged.length === 0) continue;
        const worst = Math.max(...judged.map((j) => j.c.worseBy));
        const bad = judged.filter((j) => j.c.worseBy >= 0.5 * worst).map((j) => j.k);
        const badWin = emptyMoments();
        const badBase = emptyMoments();
        for (const k of bad) {
          addMoments(badWin, k.win);
          addMoments(badBase, k.base);
        }
        const restWin = subtractMoments(seg.win, badWin);
        const restBase = subtractMoments(seg.base, badBase);
        if (restWin.n < this.minSessions || restBase.n < this.minSessions) continue;
        const badC = this.test(badWin, badBase);
        const restC = this.test(restWin, restBase);
        if (!(restC.worseBy <= 0.25 * badC.worseBy)) continue;
        const share = badWin.n / seg.win.n;
        if (!best || share < best.share || (share === best.share && badC.z > best.z)) best = { bad, share, z: badC.z };
      }
    }
    if (best) return best.bad.flatMap((k) => this.explain(cube, k));
    return this.worse(seg.win, seg.base) ? [seg] : [];
  }
}
