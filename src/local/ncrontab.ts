// The timer trigger's schedule, for the local host: NCRONTAB with six fields
// `{second} {minute} {hour} {day} {month} {day-of-week}`, evaluated in UTC as on Azure by default.
// Each field takes `*`, a value, a range `a-b`, a list `a,b,c`, and steps `*/n`, `a-b/n`, `a/n`;
// months and days of the week also by name (`jan`, `mon`); day of week 0-6 with 0 = Sunday.
// When both day of month and day of week are restricted, a time must match both (as NCrontab
// does, unlike classic cron's "either"). A TimeSpan `hh:mm:ss` (App Service plans only) means
// "every hh:mm:ss". Not supported: `%AppSetting%` schedules (the app passes the schedule itself).

export interface Schedule {
  /** The first occurrence strictly after `after`. */
  next(after: Date): Date;
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
}

const FIELDS: FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

function parseField(text: string, spec: FieldSpec): Set<number> {
  const value = (s: string): number => {
    const byName = spec.names?.indexOf(s.toLowerCase()) ?? -1;
    const n = byName >= 0 ? byName + spec.min : /^\d+$/.test(s) ? Number(s) : Number.NaN;
    if (!(n >= spec.min && n <= spec.max)) throw new ScheduleError(`${spec.name}: "${s}" is not in ${spec.min}-${spec.max}`);
    return n;
  };
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new ScheduleError(`${spec.name}: cannot read "${part}"`);
    const step = m[2] === undefined ? 1 : Number(m[2]);
    if (step < 1) throw new ScheduleError(`${spec.name}: step must be at least 1`);
    let from: number;
    let to: number;
    if (m[1] === '*') [from, to] = [spec.min, spec.max];
    else if (m[1]!.includes('-')) [from, to] = m[1]!.split('-').map(value) as [number, number];
    else [from, to] = [value(m[1]!), m[2] === undefined ? value(m[1]!) : spec.max];
    if (from > to) throw new ScheduleError(`${spec.name}: range ${m[1]} runs backwards`);
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

const MAX_SEARCH_MS = 5 * 366 * 24 * 3600_000;

export function parseSchedule(expression: string): Schedule {
  const text = expression.trim();
  const span = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(text);
  if (span) {
    const every = ((Number(span[1]) * 60 + Number(span[2])) * 60 + Number(span[3])) * 1000;
    if (every <= 0) throw new ScheduleError('a TimeSpan schedule must be longer than zero');
    return { next: (after) => new Date(after.getTime() + every) };
  }
  const parts = text.split(/\s+/);
  if (parts.length !== 6)
    throw new ScheduleError(`"${expression}" has ${parts.length} fields; NCRONTAB needs six: second minute hour day month day-of-week`);
  const [seconds, minutes, hours, days, months, weekdays] = parts.map((p, i) => parseField(p, FIELDS[i]!)) as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  return {
    next(after) {
      let t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
      const limit = after.getTime() + MAX_SEARCH_MS;
      while (t.getTime() <= limit) {
        const [y, mo, d, h, mi, s] = [
          t.getUTCFullYear(),
          t.getUTCMonth(),
          t.getUTCDate(),
          t.getUTCHours(),
          t.getUTCMinutes(),
          t.getUTCSeconds(),
        ];
        if (!months.has(mo + 1)) t = new Date(Date.UTC(y, mo + 1, 1));
        else if (!days.has(d) || !weekdays.has(t.getUTCDay())) t = new Date(Date.UTC(y, mo, d + 1));
        else if (!hours.has(h)) t = new Date(Date.UTC(y, mo, d, h + 1));
        else if (!minutes.has(mi)) t = new Date(Date.UTC(y, mo, d, h, mi + 1));
        else if (!seconds.has(s)) t = new Date(Date.UTC(y, mo, d, h, mi, s + 1));
        else return t;
      }
      throw new ScheduleError(`"${expression}" has no occurrence within five years`);
    },
  };
}
