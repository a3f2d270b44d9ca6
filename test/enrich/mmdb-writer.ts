// A small MaxMind DB (format 2.0) writer for tests, so that record shapes the real fixtures do not
// cover (ip-location-db's city and ASN files, IPv4-only files) can be opened with maxmind.open
// like any other database. Spec: https://maxmind.github.io/MaxMind-DB/
// Only what the tests need: strings, unsigned integers, doubles, booleans, arrays and maps; no
// pointers; non-overlapping networks; 32-bit records.
import { isIP } from 'node:net';

export type MmdbValue = string | number | boolean | MmdbValue[] | { [key: string]: MmdbValue };

export interface MmdbNetwork {
  /** "81.2.69.0/24" or "2001:4860::/32" */
  cidr: string;
  data: { [key: string]: MmdbValue };
}

export interface MmdbOptions {
  ipVersion: 4 | 6;
  databaseType: string;
  networks: MmdbNetwork[];
}

const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'); // \xAB\xCD\xEF MaxMind.com

function control(type: number, size: number): Buffer {
  const extended = type > 7;
  const first = (extended ? 0 : type) << 5;
  const typeByte = extended ? [type - 7] : [];
  if (size < 29) return Buffer.from([first | size, ...typeByte]);
  if (size < 29 + 256) return Buffer.from([first | 29, ...typeByte, size - 29]);
  if (size < 285 + 65536) return Buffer.from([first | 30, ...typeByte, (size - 285) >> 8, (size - 285) & 255]);
  const s = size - 65821;
  return Buffer.from([first | 31, ...typeByte, (s >> 16) & 255, (s >> 8) & 255, s & 255]);
}

function uintBytes(n: bigint): Buffer {
  const bytes: number[] = [];
  for (let v = n; v > 0n; v >>= 8n) bytes.unshift(Number(v & 255n));
  return Buffer.from(bytes);
}

function encodeUint(type: 5 | 6 | 9, n: number | bigint): Buffer {
  const payload = uintBytes(BigInt(n));
  return Buffer.concat([control(type, payload.length), payload]);
}

function encode(v: MmdbValue): Buffer {
  if (typeof v === 'string') {
    const bytes = Buffer.from(v, 'utf8');
    return Buffer.concat([control(2, bytes.length), bytes]);
  }
  if (typeof v === 'boolean') return control(14, v ? 1 : 0);
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0 && v < 2 ** 32) return encodeUint(6, v);
    const d = Buffer.alloc(8);
    d.writeDoubleBE(v);
    return Buffer.concat([control(3, 8), d]);
  }
  if (Array.isArray(v)) return Buffer.concat([control(11, v.length), ...v.map(encode)]);
  const entries = Object.entries(v);
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([k, val]) => [encode(k), encode(val)])]);
}

/** The address bits of a network, 32 or 128 of them; IPv4 networks in an IPv6 tree sit under ::/96. */
function networkBits(cidr: string, ipVersion: 4 | 6): { bits: number[]; prefix: number } {
  const [addr, len] = cidr.split('/') as [string, string];
  const kind = isIP(addr);
  if (kind === 0) throw new Error(`bad network ${cidr}`);
  const bytes: number[] = [];
  if (kind === 4) {
    if (ipVersion === 6) bytes.push(...new Array<number>(12).fill(0));
    bytes.push(...addr.split('.').map(Number));
  } else {
    if (ipVersion === 4) throw new Error(`IPv6 network ${cidr} in an IPv4 database`);
    const [head, tail] = addr.split('::') as [string, string | undefined];
    const groups = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
    const h = groups(head);
    const t = groups(tail);
    for (const g of [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t]) bytes.push(g >> 8, g & 255);
  }
  const bits = bytes.flatMap((b) => [7, 6, 5, 4, 3, 2, 1, 0].map((i) => (b >> i) & 1));
  const prefix = Number(len) + (kind === 4 && ipVersion === 6 ? 96 : 0);
  return { bits, prefix };
}

interface Node {
  children: [Node | number | undefined, Node | number | undefined]; // number: offset in the data section
}

export function buildMmdb(opts: MmdbOptions): Buffer {
  const data: Buffer[] = [];
  let dataSize = 0;
  const root: Node = { children: [undefined, undefined] };
  for (const net of opts.networks) {
    const { bits, prefix } = networkBits(net.cidr, opts.ipVersion);
    const encoded = encode(net.data);
    const offset = dataSize;
    data.push(encoded);
    dataSize += encoded.length;
    let node = root;
    for (let depth = 0; depth < prefix - 1; depth++) {
      const bit = bits[depth]!;
      const next = node.children[bit];
      if (typeof next === 'number') throw new Error(`network ${net.cidr} overlaps another`);
      if (next === undefined) node.children[bit] = { children: [undefined, undefined] };
      node = node.children[bit] as Node;
    }
    const last = bits[prefix - 1]!;
    if (node.children[last] !== undefined) throw new Error(`network ${net.cidr} overlaps another`);
    node.children[last] = offset;
  }

  // Number the nodes breadth first; the root is node 0.
  const order: Node[] = [root];
  const index = new Map<Node, number>([[root, 0]]);
  for (let i = 0; i < order.length; i++) {
    for (const child of order[i]!.children) {
      if (child && typeof child === 'object') {
        index.set(child, order.length);
        order.push(child);
      }
    }
  }
  const nodeCount = order.length;
  const tree = Buffer.alloc(nodeCount * 8); // record size 32: two big-endian uint32 per node
  order.forEach((node, i) => {
    node.children.forEach((child, side) => {
      const record = child === undefined ? nodeCount : typeof child === 'number' ? nodeCount + 16 + child : index.get(child)!;
      tree.writeUInt32BE(record, i * 8 + side * 4);
    });
  });

  const metadata = Buffer.concat([
    control(7, 9),
    encode('node_count'),
    encodeUint(6, nodeCount),
    encode('record_size'),
    encodeUint(5, 32),
    encode('ip_version'),
    encodeUint(5, opts.ipVersion),
    encode('database_type'),
    encode(opts.databaseType),
    encode('languages'),
    encode(['en']),
    encode('binary_format_major_version'),
    encodeUint(5, 2),
    encode('binary_format_minor_version'),
    encodeUint(5, 0),
    encode('build_epoch'),
    encodeUint(9, 1_700_000_000n),
    encode('description'),
    encode({ en: `test ${opts.databaseType}` }),
  ]);
  return Buffer.concat([tree, Buffer.alloc(16), ...data, METADATA_MARKER, metadata]);
}
