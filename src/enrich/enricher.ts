// All dimensions in one place: sender dimensions (geo, device, IP prefix) are worked out once per
// request or file, record dimensions (content, CDN, manifest URL) once per record.
import type { Beacon } from '../beacon/schema.js';
import type { RecordDimensions, SenderDimensions } from '../beacon/row.js';
import { CdnResolver, type CdnRule } from './cdn.js';
import { ipPrefix } from './client-ip.js';
import { ContentIdResolver, stripQuery, type ContentIdRule } from './content.js';
import { DeviceParser, type ClientHints } from './device.js';
import { GeoLookup } from './geo.js';

export interface EnrichOptions {
  countryDb: string;
  cityDb?: string;
  asnDb?: string;
  uaCacheSize: number;
  /** Byte bound of the User-Agent cache. */
  uaCacheBytes?: number;
  contentIdRules: ContentIdRule[];
  cdnRules: CdnRule[];
}

/** Who sent the records. The raw IP lives only here, on its way to the geo lookup. */
export interface Sender {
  clientIp?: string;
  userAgent?: string;
  clientHints?: ClientHints;
}

export class Enricher {
  private constructor(
    private readonly geo: GeoLookup,
    private readonly device: DeviceParser,
    private readonly content: ContentIdResolver,
    private readonly cdn: CdnResolver,
  ) {}

  static async create(opts: EnrichOptions): Promise<Enricher> {
    const geo = await GeoLookup.open({ countryDb: opts.countryDb, cityDb: opts.cityDb, asnDb: opts.asnDb });
    return new Enricher(
      geo,
      new DeviceParser(opts.uaCacheSize, opts.uaCacheBytes),
      new ContentIdResolver(opts.contentIdRules),
      new CdnResolver(opts.cdnRules),
    );
  }

  forSender(sender: Sender): SenderDimensions {
    const geo = this.geo.lookup(sender.clientIp);
    const device = this.device.parse(sender.userAgent, sender.clientHints);
    return {
      country: geo.country,
      region: geo.region,
      city: geo.city,
      asn: geo.asn,
      asnOrg: geo.asnOrg,
      clientIpPrefix: ipPrefix(sender.clientIp),
      os: device.os,
      osVersion: device.osVersion,
      browser: device.browser,
      browserVersion: device.browserVersion,
      deviceType: device.deviceType,
    };
  }

  forRecord(b: Beacon): RecordDimensions {
    const cmcd = b.cmcd;
    const cmcdCid = typeof cmcd?.cid === 'string' ? cmcd.cid : undefined;
    const cmcdCdn = typeof cmcd?.cdn === 'string' ? cmcd.cdn : undefined;
    const manifestUrl = stripQuery(b.manifestUrl);
    return {
      manifestUrl,
      contentId: this.content.resolve(b.contentId, cmcdCid, b.manifestUrl),
      cdn: this.cdn.resolve({ beaconCdn: b.cdn, cmcdCdn, hosts: [b.cdnHost, b.manifestUrl], headers: b.cdnHeaders }),
    };
  }
}
