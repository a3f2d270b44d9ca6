import { describe, expect, it } from 'vitest';
import { parseSchedule, ScheduleError } from '../../src/local/ncrontab.js';

const next = (expr: string, from: string, n = 1): string[] => {
  const s = parseSchedule(expr);
  const out: string[] = [];
  let t = new Date(from);
  for (let i = 0; i < n; i++) out.push((t = s.next(t)).toISOString());
  return out;
};

describe('NCRONTAB schedules', () => {
  it('every five minutes (the anomaly timer default), strictly after the given time', () => {
    expect(next('0 */5 * * * *', '2026-11-23T10:02:30Z', 3)).toEqual([
      '2026-11-23T10:05:00.000Z',
      '2026-11-23T10:10:00.000Z',
      '2026-11-23T10:15:00.000Z',
    ]);
    expect(next('0 */5 * * * *', '2026-11-23T10:05:00Z')).toEqual(['2026-11-23T10:10:00.000Z']);
    expect(next('0 */5 * * * *', '2026-12-31T23:58:00Z')).toEqual(['2027-01-01T00:00:00.000Z']);
  });

  it('seconds, lists, ranges, steps from a start, and names', () => {
    expect(next('*/10 * * * * *', '2026-11-23T10:00:05Z', 2)).toEqual(['2026-11-23T10:00:10.000Z', '2026-11-23T10:00:20.000Z']);
    expect(next('0 5/20 * * * *', '2026-11-23T10:00:00Z', 3)).toEqual([
      '2026-11-23T10:05:00.000Z',
      '2026-11-23T10:25:00.000Z',
      '2026-11-23T10:45:00.000Z',
    ]);
    expect(next('0 0 9,17 * * *', '2026-11-23T10:00:00Z', 2)).toEqual(['2026-11-23T17:00:00.000Z', '2026-11-24T09:00:00.000Z']);
    // 2026-11-27 is a Friday: the next weekday 09:30 is Monday the 30th
    expect(next('0 30 9 * * 1-5', '2026-11-27T10:00:00Z')).toEqual(['2026-11-30T09:30:00.000Z']);
    expect(next('0 30 9 * * mon-fri', '2026-11-27T10:00:00Z')).toEqual(['2026-11-30T09:30:00.000Z']);
    expect(next('0 0 0 1 jan,Jul *', '2026-11-23T00:00:00Z', 2)).toEqual(['2027-01-01T00:00:00.000Z', '2027-07-01T00:00:00.000Z']);
    expect(next('0 0 12 * * 0', '2026-11-23T00:00:00Z')).toEqual(['2026-11-29T12:00:00.000Z']); // Sunday
  });

  it('day of month and day of week must both match (NCrontab), and rare dates are found', () => {
    expect(next('0 0 0 13 * 5', '2026-01-01T00:00:00Z', 2)).toEqual(['2026-02-13T00:00:00.000Z', '2026-03-13T00:00:00.000Z']);
    expect(next('0 0 0 29 2 *', '2026-03-01T00:00:00Z')).toEqual(['2028-02-29T00:00:00.000Z']);
  });

  it('a TimeSpan hh:mm:ss runs at that interval', () => {
    expect(next('00:00:30', '2026-11-23T10:00:00Z', 2)).toEqual(['2026-11-23T10:00:30.000Z', '2026-11-23T10:01:00.000Z']);
  });

  it('rejects what NCRONTAB is not, naming the problem', () => {
    expect(() => parseSchedule('*/5 * * * *')).toThrow(/5 fields; NCRONTAB needs six/);
    expect(() => parseSchedule('60 * * * * *')).toThrow(/second: "60" is not in 0-59/);
    expect(() => parseSchedule('0 30-10 * * * *')).toThrow(/runs backwards/);
    expect(() => parseSchedule('0 */0 * * * *')).toThrow(ScheduleError);
    expect(() => parseSchedule('0 0 0 * * funday')).toThrow(/day of week/);
    expect(() => parseSchedule('0 0 0 31 2 *').next(new Date())).toThrow(/no occurrence/);
  });
});
