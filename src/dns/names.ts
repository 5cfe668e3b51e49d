// Query-name grammar of the CoreDNS kubernetes plugin (plugin/kubernetes/parse.go, reverse lookups).
import { canonicalIP, isIPv4, isIPv6, parseIP } from '../util/net.js';

/** What a name under the cluster zone asks for; empty strings are wildcards. */
export interface RecordRequest {
  /** `_port` label without the underscore (SRV form). */
  port: string;
  /** `_proto` label without the underscore. */
  protocol: string;
  /** The endpoint label (`<hostname>.<svc>.<ns>.svc.<zone>`). */
  endpoint: string;
  service: string;
  namespace: string;
  /** 'svc', 'pod', or '' for the apex, `svc.<zone>` and `pod.<zone>`. */
  podOrSvc: '' | 'svc' | 'pod';
}

/** Lower case, without the trailing dot. */
export function normalizeName(name: string): string {
  const n = name.toLowerCase();
  return n.endsWith('.') ? n.slice(0, -1) : n;
}

/** Is `name` the zone itself or below it (both normalized)? */
export function inZone(name: string, zone: string): boolean {
  return zone === '' || name === zone || name.endsWith(`.${zone}`);
}

/** The labels of `name` left of `zone` (both normalized); [] for the apex. */
export function labelsBelow(name: string, zone: string): string[] {
  if (name === zone) return [];
  const base = zone === '' ? name : name.slice(0, name.length - zone.length - 1);
  return base === '' ? [] : base.split('.');
}

function stripUnderscore(s: string): string {
  return s.startsWith('_') ? s.slice(1) : s;
}

/**
 * parseRequest: `[_port._proto.|endpoint.]service.namespace.(svc|pod).zone`. Returns 'invalid' for names
 * CoreDNS answers NXDOMAIN without looking (not under svc/pod, too many labels).
 */
export function parseRequest(name: string, zone: string): RecordRequest | 'invalid' {
  const r: RecordRequest = { port: '', protocol: '', endpoint: '', service: '', namespace: '', podOrSvc: '' };
  const segs = labelsBelow(name, zone);
  // the apex, `svc.<zone>` and `pod.<zone>` exist (NODATA)
  if (segs.length === 0 || (segs.length === 1 && (segs[0] === 'svc' || segs[0] === 'pod'))) return r;
  let last = segs.length - 1;
  const kind = segs[last]!;
  if (kind !== 'svc' && kind !== 'pod') return 'invalid';
  r.podOrSvc = kind;
  if (--last < 0) return r;
  r.namespace = segs[last]!;
  if (--last < 0) return r;
  r.service = segs[last]!;
  if (--last < 0) return r;
  if (last === 0) r.endpoint = segs[0]!;
  else if (last === 1) {
    r.protocol = stripUnderscore(segs[1]!);
    r.port = stripUnderscore(segs[0]!);
  } else return 'invalid';
  return r;
}

/** The endpoint's DNS label: its hostname, else the IP with `.`/`:` turned into `-` (object/endpoint.go). */
export function endpointHostname(addr: { ip: string; hostname?: string; targetRefName?: string }, endpointPodNames = false): string {
  if (addr.hostname) return addr.hostname;
  if (endpointPodNames && addr.targetRefName) return addr.targetRefName;
  if (addr.ip.includes('.')) return addr.ip.replaceAll('.', '-');
  if (addr.ip.includes(':')) {
    const dashed = addr.ip.replaceAll(':', '-');
    return dashed.endsWith('-') ? `${dashed}0` : dashed;
  }
  return '';
}

/** `a-b-c-d` → `a.b.c.d`; otherwise dashes become colons (IPv6). Undefined when it is no IP. */
export function podLabelToIP(label: string): string | undefined {
  const dashes = label.split('-').length - 1;
  const text = dashes === 3 && !label.includes('--') ? label.replaceAll('-', '.') : label.replaceAll('-', ':');
  return parseIP(text) ? text : undefined;
}

/** `4.3.2.1.in-addr.arpa` / nibble `ip6.arpa` → the address, or undefined (dnsutil.ExtractAddressFromReverse). */
export function addressFromReverse(name: string): string | undefined {
  if (name.endsWith('.in-addr.arpa')) {
    const parts = name.slice(0, -'.in-addr.arpa'.length).split('.');
    if (parts.length !== 4) return undefined;
    const ip = parts.reverse().join('.');
    return isIPv4(ip) ? canonicalIP(ip) : undefined;
  }
  if (name.endsWith('.ip6.arpa')) {
    const nibbles = name.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || nibbles.some((n) => !/^[0-9a-f]$/.test(n))) return undefined;
    const hex = nibbles.reverse().join('');
    const ip = hex.match(/.{4}/g)!.join(':');
    return isIPv6(ip) ? canonicalIP(ip) : undefined;
  }
  return undefined;
}

/** The reverse name of an address (for tests and PTR owners). */
export function reverseName(ip: string): string {
  if (isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  const v = parseIP(ip);
  if (!v) throw new Error(`not an IP: ${ip}`);
  return `${v.value.toString(16).padStart(32, '0').split('').reverse().join('.')}.ip6.arpa`;
}

/** Is the name inside a reverse zone? */
export function isReverse(name: string): boolean {
  return name === 'in-addr.arpa' || name.endsWith('.in-addr.arpa') || name === 'ip6.arpa' || name.endsWith('.ip6.arpa');
}
