import { describe, expect, it } from 'vitest';
import { ContentIdResolver, stripQuery } from '../../src/enrich/content.js';

describe('content id', () => {
  const r = new ContentIdResolver([
    { pattern: '/vod/([^/]+)/', group: 1 },
    { pattern: '/live/(?<channel>[a-z0-9-]+)\\.isml', group: 1 },
  ]);

  it('prefers the beacon field, then CMCD cid, then URL rules in order', () => {
    expect(r.resolve('from-beacon', 'from-cmcd', 'https://h/vod/from-url/m.mpd')).toBe('from-beacon');
    expect(r.resolve(undefined, 'from-cmcd', 'https://h/vod/from-url/m.mpd')).toBe('from-cmcd');
    expect(r.resolve(undefined, undefined, 'https://h/vod/from-url/m.mpd?token=abc')).toBe('from-url');
    expect(r.resolve(undefined, undefined, 'https://h/live/news-24.isml/manifest')).toBe('news-24');
    expect(r.resolve(undefined, undefined, 'https://h/other/m.mpd')).toBeNull();
    expect(r.resolve(undefined, undefined, undefined)).toBeNull();
  });

  it('never matches rules against the query string', () => {
    expect(r.resolve(undefined, undefined, 'https://h/x.mpd?next=/vod/sneaky/')).toBeNull();
  });

  it('strips query and fragment', () => {
    expect(stripQuery('https://h/a.mpd?token=1#t=3')).toBe('https://h/a.mpd');
    expect(stripQuery('https://h/a.mpd#t=3?x')).toBe('https://h/a.mpd');
    expect(stripQuery('https://h/a.mpd')).toBe('https://h/a.mpd');
    expect(stripQuery('?only')).toBeNull();
    expect(stripQuery(undefined)).toBeNull();
  });

  it('names a bad rule', () => {
    expect(() => new ContentIdResolver([{ pattern: '(', group: 1 }])).toThrow(/content id rule \/\(\//);
  });
});
