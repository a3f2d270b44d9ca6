import { describe, expect, it } from 'vitest';
import { ContentIdResolver, stripQuery } from '../../src/enrich/content.js';

describe('stripQuery', () => {
  it('removes query string and fragment', () => {
    expect(stripQuery('https://h/a.mpd?token=1#t=3')).toBe('https://h/a.mpd');
    expect(stripQuery('https://h/a.mpd#t=3?x')).toBe('https://h/a.mpd');
    expect(stripQuery('https://h/a.mpd?')).toBe('https://h/a.mpd');
    expect(stripQuery('https://h/a.mpd')).toBe('https://h/a.mpd');
  });

  it('cuts invalid URLs at the first ? or #', () => {
    expect(stripQuery('/relative/path.m3u8?sig=abc')).toBe('/relative/path.m3u8');
    expect(stripQuery('not a url#frag?q')).toBe('not a url');
    expect(stripQuery('http://[bad/x.mpd?q=1')).toBe('http://[bad/x.mpd');
  });

  it('gives null for nothing left', () => {
    expect(stripQuery('?only')).toBeNull();
    expect(stripQuery('#only')).toBeNull();
    expect(stripQuery('')).toBeNull();
    expect(stripQuery(undefined)).toBeNull();
  });
});

describe('ContentIdResolver', () => {
  const r = new ContentIdResolver([
    { pattern: '/vod/([^/]+)/', group: 1 },
    { pattern: '/live/(?<channel>[a-z0-9-]+)\\.isml', group: 1 },
    { pattern: '/(movie|episode)/([0-9]+)/', group: 2 },
  ]);

  it('prefers the beacon field, then CMCD cid, then URL rules in order', () => {
    expect(r.resolve('from-beacon', 'from-cmcd', 'https://h/vod/from-url/m.mpd')).toBe('from-beacon');
    expect(r.resolve(undefined, 'from-cmcd', 'https://h/vod/from-url/m.mpd')).toBe('from-cmcd');
    expect(r.resolve('', '', 'https://h/vod/from-url/m.mpd')).toBe('from-url');
    expect(r.resolve(undefined, undefined, 'https://h/vod/from-url/m.mpd?token=abc')).toBe('from-url');
    expect(r.resolve(undefined, undefined, 'https://h/live/news-24.isml/manifest')).toBe('news-24');
    expect(r.resolve(undefined, undefined, 'https://h/episode/4711/master.m3u8')).toBe('4711');
    expect(r.resolve(undefined, undefined, 'https://h/other/m.mpd')).toBeNull();
    expect(r.resolve(undefined, undefined, undefined)).toBeNull();
  });

  it('takes the first matching rule', () => {
    expect(r.resolve(undefined, undefined, 'https://h/vod/first/live/second.isml/m')).toBe('first');
    const ordered = new ContentIdResolver([
      { pattern: '/([a-z]+)\\.mpd$', group: 1 },
      { pattern: '/vod/([^/]+)/', group: 1 },
    ]);
    expect(ordered.resolve(undefined, undefined, 'https://h/vod/x/manifest.mpd')).toBe('manifest');
  });

  it('uses group 0 for the whole match', () => {
    const whole = new ContentIdResolver([{ pattern: '[A-Z]{2}[0-9]{6}', group: 0 }]);
    expect(whole.resolve(undefined, undefined, 'https://h/assets/AB123456/index.m3u8')).toBe('AB123456');
  });

  it('never matches rules against the query string or fragment', () => {
    expect(r.resolve(undefined, undefined, 'https://h/x.mpd?next=/vod/sneaky/')).toBeNull();
    expect(r.resolve(undefined, undefined, 'https://h/x.mpd#/vod/sneaky/')).toBeNull();
  });

  it('has no rules by default', () => {
    expect(new ContentIdResolver([]).resolve(undefined, undefined, 'https://h/vod/x/m.mpd')).toBeNull();
    expect(new ContentIdResolver([]).resolve(undefined, 'cid', 'https://h/vod/x/m.mpd')).toBe('cid');
  });

  it('names a bad rule: an invalid pattern, or a group it does not have', () => {
    expect(
      () =>
        new ContentIdResolver([
          { pattern: '/ok/(x)', group: 1 },
          { pattern: '(', group: 1 },
        ]),
    ).toThrow(/content id rule #2 \/\(\/ is not a valid regular expression/);
    expect(() => new ContentIdResolver([{ pattern: '/vod/([^/]+)/', group: 2 }])).toThrow(
      /\/vod\/\(\[\^\/\]\+\)\/\/ asks for capture group 2 but has 1/,
    );
    expect(() => new ContentIdResolver([{ pattern: '/vod/', group: 1 }])).toThrow(/asks for capture group 1 but has 0/);
  });
});
