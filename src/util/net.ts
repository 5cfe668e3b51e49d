/**
 * IP and CIDR maths on bigints, for IPv4 and IPv6 alike.
 * Parsing follows Go's netutils.ParseIPSloppy: IPv4 octets may carry leading zeros (read as decimal).
 */

export type IPFamily = 'IPv4' | 'IPv6';

export interface IP {
  family: IPFamily;
  /** The address as an unsigned integer of 32 or 128 bits. */
  value: bigint;
}

/** An address a server listens on (DNS: UDP and TCP on one port). */
export interface ListenAddress {
  ip: string;
  /** 0 picks a free port. */
  port: number;
}

export interface CIDR {
  family: IPFamily;
  /** The network address (host bits cleared). */
  network: bigint;
  prefix: number;
  /** What the caller wrote, e.g. `10.96.0.0/12`. */
  text: string;
}

export function bitsOf(family: IPFamily): number {
  return family === 'IPv4' ? 32 : 128;
}

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(s: string): bigint | undefined {
  if (s.includes('%')) return undefined; // zones are not addresses here
  let text = s;
  // Embedded IPv4 in the last 32 bits (::ffff:1.2.3.4) becomes two hex groups.
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = parseV4(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const group = (h: string): bigint[] | undefined => {
    if (h === '') return [];
    const out: bigint[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(BigInt(`0x${g}`));
    }
    return out;
  };
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const groups = halves.length === 2 ? [...head, ...rest] : head;
  const total = groups.length;
  if (halves.length === 1 && total !== 8) return undefined;
  if (halves.length === 2 && total > 7) return undefined;
  const zeros = 8 - total;
  const all = halves.length === 2 ? [...head, ...Array<bigint>(zeros).fill(0n), ...rest] : head;
  return all.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** Parses an IPv4 or IPv6 address; IPv4-mapped IPv6 (::ffff:a.b.c.d) stays IPv6 here. */
export function parseIP(s: string): IP | undefined {
  if (typeof s !== 'string' || s === '') return undefined;
  if (s.includes(':')) {
    const v = parseV6(s);
    return v === undefined ? undefined : { family: 'IPv6', value: v };
  }
  const v = parseV4(s);
  return v === undefined ? undefined : { family: 'IPv4', value: v };
}

export function isIP(s: string): boolean {
  return parseIP(s) !== undefined;
}

export function isIPv4(s: string): boolean {
  return parseIP(s)?.family === 'IPv4';
}

export function isIPv6(s: string): boolean {
  return parseIP(s)?.family === 'IPv6';
}

export function ipFamilyOf(s: string): IPFamily | undefined {
  return parseIP(s)?.family;
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (longest zero run compressed, lower case). */
export function formatIP(ip: IP): string {
  if (ip.family === 'IPv4') {
    const v = ip.value;
    return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** ipToBigInt('10.0.0.1') === 167772161n. Throws on a malformed address. */
export function ipToBigInt(s: string): bigint {
  const ip = parseIP(s);
  if (!ip) throw new TypeError(`invalid IP address: ${s}`);
  return ip.value;
}

export function bigIntToIP(value: bigint, family: IPFamily): string {
  return formatIP({ family, value });
}

/** Normalises an address to its canonical text, or undefined if it does not parse. */
export function canonicalIP(s: string): string | undefined {
  const ip = parseIP(s);
  return ip ? formatIP(ip) : undefined;
}

function mask(family: IPFamily, prefix: number): bigint {
  const bits = BigInt(bitsOf(family));
  return ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(prefix))) - 1n);
}

/** Parses `a.b.c.d/n` or `x::/n`; host bits are cleared as Go's ParseCIDR does. */
export function parseCIDR(s: string): CIDR | undefined {
  if (typeof s !== 'string') return undefined;
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIP(s.slice(0, slash));
  const p = s.slice(slash + 1);
  if (!ip || !/^[0-9]{1,3}$/.test(p)) return undefined;
  const prefix = Number(p);
  if (prefix > bitsOf(ip.family)) return undefined;
  return { family: ip.family, network: ip.value & mask(ip.family, prefix), prefix, text: s };
}

/** Number of addresses in the CIDR (2^(bits-prefix)). */
export function cidrSize(c: CIDR): bigint {
  return 1n << BigInt(bitsOf(c.family) - c.prefix);
}

/** The last address of the CIDR (the broadcast address for IPv4). */
export function cidrLast(c: CIDR): bigint {
  return c.network + cidrSize(c) - 1n;
}

export function cidrString(c: CIDR): string {
  return `${formatIP({ family: c.family, value: c.network })}/${c.prefix}`;
}

/** Whether the CIDR contains the address (given as text or parsed). */
export function cidrContains(c: CIDR, ip: string | IP): boolean {
  const p = typeof ip === 'string' ? parseIP(ip) : ip;
  if (!p || p.family !== c.family) return false;
  return p.value >= c.network && p.value <= cidrLast(c);
}

export function cidrsOverlap(a: CIDR, b: CIDR): boolean {
  return a.family === b.family && a.network <= cidrLast(b) && b.network <= cidrLast(a);
}

/** The address `n` after the CIDR's network address, e.g. `nthIP(10.96.0.0/12, 1)` = `10.96.0.1`. */
export function nthIP(c: CIDR, n: bigint | number): string {
  return formatIP({ family: c.family, value: c.network + BigInt(n) });
}

function inV4(v: bigint, net: bigint, prefix: number): boolean {
  return (v & mask('IPv4', prefix)) === net;
}
function inV6(v: bigint, net: bigint, prefix: number): boolean {
  return (v & mask('IPv6', prefix)) === net;
}

/** Go's net.IP predicates, used by validation of "special" addresses. */
export function isUnspecified(ip: IP): boolean {
  return ip.value === 0n;
}
export function isLoopback(ip: IP): boolean {
  return ip.family === 'IPv4' ? inV4(ip.value, 0x7f000000n, 8) : ip.value === 1n;
}
export function isLinkLocalUnicast(ip: IP): boolean {
  return ip.family === 'IPv4' ? inV4(ip.value, 0xa9fe0000n, 16) : inV6(ip.value, 0xfe80n << 112n, 10);
}
export function isLinkLocalMulticast(ip: IP): boolean {
  return ip.family === 'IPv4' ? inV4(ip.value, 0xe0000000n, 24) : inV6(ip.value, 0xff02n << 112n, 16) || (ip.value >> 112n & 0xff0fn) === 0xff02n;
}
/** The smallest list of CIDRs covering [start, end] exactly (ipaddr.Summarize). */
export function summarizeRange(start: IP, end: IP): CIDR[] {
  if (start.family !== end.family || start.value > end.value) return [];
  const bits = bitsOf(start.family);
  const out: CIDR[] = [];
  let cur = start.value;
  while (cur <= end.value) {
    // Largest block aligned at `cur` that does not pass `end`.
    let size = 0;
    while (size < bits && (cur & ((1n << BigInt(size + 1)) - 1n)) === 0n && cur + (1n << BigInt(size + 1)) - 1n <= end.value) size++;
    const prefix = bits - size;
    const c: CIDR = { family: start.family, network: cur, prefix, text: '' };
    c.text = cidrString(c);
    out.push(c);
    cur += 1n << BigInt(size);
  }
  return out;
}

/** net.JoinHostPort: `host:port`, with an IPv6 host in brackets. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
