// Content id: the beacon's own field, else CMCD `cid`, else the first configured URL rule.

export interface ContentIdRule {
  /** Regular expression over the manifest URL without its query string. */
  pattern: string;
  /** Capture group holding the id. */
  group: number;
}

/** The URL without query string and fragment (they carry tokens and session ids); null when empty. */
export function stripQuery(url: string | undefined): string | null {
  if (!url) return null;
  const q = url.indexOf('?');
  const h = url.indexOf('#');
  const cut = q < 0 ? h : h < 0 ? q : Math.min(q, h);
  const out = cut < 0 ? url : url.slice(0, cut);
  return out === '' ? null : out;
}

export class ContentIdResolver {
  private readonly rules: Array<{ re: RegExp; group: number }>;

  constructor(rules: ContentIdRule[]) {
    this.rules = rules.map((r) => {
      try {
        return { re: new RegExp(r.pattern), group: r.group };
      } catch (err) {
        throw new Error(`content id rule /${r.pattern}/ is not a valid regular expression: ${(err as Error).message}`);
      }
    });
  }

  resolve(beaconContentId: string | undefined, cmcdCid: string | undefined, manifestUrl: string | undefined): string | null {
    if (beaconContentId) return beaconContentId;
    if (cmcdCid) return cmcdCid;
    const url = stripQuery(manifestUrl);
    if (!url) return null;
    for (const { re, group } of this.rules) {
      const m = re.exec(url);
      if (m?.[group]) return m[group];
    }
    return null;
  }
}
