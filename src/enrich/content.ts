// Content id: the beacon's own field, else CMCD `cid`, else the first configured URL rule.
import { errorMessage } from '../errors.js';

export interface ContentIdRule {
  /** Regular expression over the manifest URL without its query string. */
  pattern: string;
  /** Capture group holding the id (0: the whole match). */
  group: number;
}

/**
 * The URL without query string and fragment (they carry tokens and session ids); null when empty.
 * Cut at the first `?` or `#`, which is where a valid URL's query or fragment starts, and a fair
 * guess for an invalid one. No URL object: this runs per record.
 */
export function stripQuery(url: string | undefined): string | null {
  if (!url) return null;
  const q = url.indexOf('?');
  const h = url.indexOf('#');
  const cut = q < 0 ? h : h < 0 ? q : Math.min(q, h);
  const out = cut < 0 ? url : url.slice(0, cut);
  return out === '' ? null : out;
}

export class ContentIdResolver {
  private readonly rules: ReadonlyArray<{ re: RegExp; group: number }>;

  /** Compiles every rule once; throws an Error naming the first bad one. */
  constructor(rules: ContentIdRule[]) {
    this.rules = rules.map((r, i) => {
      const name = `content id rule #${i + 1} /${r.pattern}/`;
      let re: RegExp;
      let groups: number;
      try {
        re = new RegExp(r.pattern);
        groups = new RegExp(`(?:${r.pattern})|`).exec('')!.length - 1; // capture groups in the pattern
      } catch (err) {
        throw new Error(`${name} is not a valid regular expression: ${errorMessage(err)}`, { cause: err });
      }
      const group = r.group ?? 1;
      if (!Number.isInteger(group) || group < 0 || group > groups) {
        throw new Error(`${name} asks for capture group ${group} but has ${groups}`);
      }
      return { re, group };
    });
  }

  /** The beacon's field, else CMCD cid, else the first rule that matches the manifest URL (query removed), else null. */
  resolve(beaconContentId: string | undefined, cmcdCid: string | undefined, manifestUrl: string | undefined): string | null {
    if (beaconContentId) return beaconContentId;
    if (cmcdCid) return cmcdCid;
    if (this.rules.length === 0) return null;
    const url = stripQuery(manifestUrl);
    if (url === null) return null;
    for (const { re, group } of this.rules) {
      const m = re.exec(url);
      const id = m?.[group];
      if (id) return id;
    }
    return null;
  }
}
