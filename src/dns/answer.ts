// Answers for the cluster zone, mirroring CoreDNS' kubernetes plugin (handler.go, kubernetes.go
// findServices/findPods, reverse.go, plugin/backend_lookup.go). Pure apart from the injected upstream.
import type { Answer } from 'dns-packet';
import { isIP, isIPv4, isIPv6 } from '../util/net.js';
import { addressFromReverse, endpointHostname, inZone, isReverse, normalizeName, parseRequest, podLabelToIP, type RecordRequest } from './names.js';
import type { RecordStore } from './records.js';

export const dnsSchemaVersion = '1.1.0';
export const rcodes = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export interface ZoneOptions {
  /** The cluster domain, e.g. `cluster.local` (normalized: lower case, no trailing dot). */
  zone: string;
  /** Record TTL (CoreDNS `ttl`, default 5). */
  ttl: number;
  /** `pods disabled` or `pods insecure`. */
  pods: 'disabled' | 'insecure';
  /** Addresses of the DNS service itself, answered for `ns.dns.<zone>` and NS glue. */
  nsIPs: string[];
  /** CoreDNS `endpoint_pod_names`. */
  endpointPodNames?: boolean;
}

export interface Question {
  name: string;
  type: string;
}

/** Looks a name outside the zone up upstream (CNAME targets of ExternalName Services); undefined on failure. */
export type UpstreamLookup = (name: string, type: 'A' | 'AAAA') => Promise<Answer[] | undefined>;

export type Resolution =
  | { kind: 'answer'; rcode: number; authoritative: boolean; answers: Answer[]; authorities: Answer[]; additionals: Answer[] }
  | { kind: 'forward' };

/** One backend result (CoreDNS msg.Service): an address or a CNAME target, with the port and owner name. */
interface Entry {
  host: string;
  port: number;
  /** The owner name the entry stands for (SRV target), without trailing dot. */
  key: string;
}

const nameError = Symbol('NXDOMAIN');
type Lookup = Entry[] | typeof nameError;

export interface ResolveContext {
  store: RecordStore;
  opts: ZoneOptions;
  /** False until the informers have synced: the zone answers SERVFAIL. */
  synced: boolean;
  upstream?: UpstreamLookup;
}

/** What to answer for one question: from the zone, a PTR from the reverse index, or forward it. */
export async function resolve(q: Question, ctx: ResolveContext): Promise<Resolution> {
  const name = normalizeName(q.name);
  const qname = q.name.endsWith('.') ? q.name.slice(0, -1) : q.name;
  if (inZone(name, ctx.opts.zone)) {
    if (!ctx.synced) return reply(rcodes.SERVFAIL, [], [], [], false);
    return serveZone(qname, q.type, ctx);
  }
  if (isReverse(name) && q.type === 'PTR' && ctx.synced) {
    // kubeadm's Corefile: `fallthrough in-addr.arpa ip6.arpa`, so misses go on to the forwarder
    const ip = addressFromReverse(name);
    const targets = ip ? reverseTargets(ip, ctx) : [];
    if (targets.length) return reply(rcodes.NOERROR, targets.map((t) => rr(qname, 'PTR', ctx.opts.ttl, t)), [], [], true);
  }
  return { kind: 'forward' };
}

function reply(rcode: number, answers: Answer[], authorities: Answer[], additionals: Answer[], authoritative = true): Resolution {
  return { kind: 'answer', rcode, authoritative, answers, authorities, additionals };
}

function rr(name: string, type: string, ttl: number, data: unknown): Answer {
  return { name, type, ttl, class: 'IN', data } as Answer;
}

export function soaRecord(opts: ZoneOptions, serial: number): Answer {
  return rr(opts.zone, 'SOA', Math.min(opts.ttl, 300), {
    mname: `ns.dns.${opts.zone}`,
    rname: `hostmaster.${opts.zone}`,
    serial,
    refresh: 7200,
    retry: 1800,
    expire: 86400,
    minimum: opts.ttl,
  });
}

async function serveZone(qname: string, type: string, ctx: ResolveContext): Promise<Resolution> {
  const { opts } = ctx;
  const name = normalizeName(qname);
  let records: Answer[] = [];
  let extra: Answer[] = [];
  let err = false;
  const run = (l: Lookup | { records: Answer[]; extra?: Answer[] } | Answer[]) => {
    if (l === nameError) err = true;
    else if (Array.isArray(l)) records = l as Answer[];
    else if ('records' in l) {
      records = l.records;
      extra = l.extra ?? [];
    }
  };
  switch (type) {
    case 'A':
    case 'AAAA':
      run(await addressRecords(qname, type, ctx, []));
      break;
    case 'TXT': {
      const labels = name === opts.zone ? [] : name.slice(0, -opts.zone.length - 1).split('.');
      if (labels.length === 1 && labels[0] === 'dns-version') records = [rr(qname, 'TXT', 28800, dnsSchemaVersion)];
      break;
    }
    case 'CNAME': {
      const l = services(name, type, ctx);
      if (l === nameError) err = true;
      else if (l[0] && !isIP(l[0].host)) records = [rr(qname, 'CNAME', opts.ttl, l[0].host)];
      break;
    }
    case 'PTR': {
      const l = services(name, type, ctx);
      if (l === nameError) err = true;
      else records = l.filter((e) => !isIP(e.host)).map((e) => rr(qname, 'PTR', opts.ttl, e.host));
      break;
    }
    case 'SRV':
      run(srvRecords(qname, ctx));
      break;
    case 'SOA':
      if (name === opts.zone) records = [soaRecord(opts, ctx.store.serial())];
      break;
    case 'NS':
      if (name === opts.zone) {
        const ns = `ns.dns.${opts.zone}`;
        records = [rr(qname, 'NS', opts.ttl, ns)];
        extra = opts.nsIPs.map((ip) => rr(ns, isIPv4(ip) ? 'A' : 'AAAA', opts.ttl, ip));
      } else if ((await addressRecords(qname, 'A', ctx, [])) === nameError) err = true;
      break;
    default:
      // a fake A lookup tells NODATA from NXDOMAIN
      if ((await addressRecords(qname, 'A', ctx, [])) === nameError) err = true;
  }
  const soa = [soaRecord(opts, ctx.store.serial())];
  if (err) return reply(rcodes.NXDOMAIN, [], soa, []);
  if (records.length === 0) return reply(rcodes.NOERROR, [], soa, []);
  return reply(rcodes.NOERROR, records, [], extra);
}

/** k.Services: the backend entries for a name, without the CNAME entries when the question is SRV. */
function services(name: string, type: string, ctx: ResolveContext): Lookup {
  const { opts } = ctx;
  if (name === `ns.dns.${opts.zone}`) {
    if (type !== 'A' && type !== 'AAAA') return [];
    return opts.nsIPs.filter((ip) => (type === 'A' ? isIPv4(ip) : isIPv6(ip))).map((ip) => ({ host: ip, port: 0, key: name }));
  }
  const r = parseRequest(name, opts.zone);
  if (r === 'invalid') return nameError;
  if (r.podOrSvc === '') return [];
  if (!ctx.store.namespaceExists(r.namespace)) return nameError;
  const found = r.podOrSvc === 'pod' ? findPods(r, name, ctx) : findServices(r, ctx);
  if (found === nameError || type !== 'SRV') return found;
  return found.filter((e) => isIP(e.host));
}

function findPods(r: RecordRequest, name: string, ctx: ResolveContext): Lookup {
  if (ctx.opts.pods === 'disabled') return nameError;
  if (r.service === '') return [];
  const ip = podLabelToIP(r.service);
  if (!ip) return nameError;
  return [{ host: ip, port: 0, key: name }];
}

const matchPort = (want: string, have: string) => want === '' || want === have.toLowerCase();

function findServices(r: RecordRequest, ctx: ResolveContext): Lookup {
  if (r.service === '') return [];
  const { store, opts } = ctx;
  const svc = store.service(r.namespace, r.service);
  if (!svc) return nameError;
  const svcName = `${svc.name}.${svc.namespace}.svc.${opts.zone}`;
  if (svc.externalName !== undefined) {
    // an ExternalName Service has no endpoints; an IP as externalName is no CNAME
    if (r.endpoint !== '' || isIP(svc.externalName)) return nameError;
    return [{ host: svc.externalName, port: 0, key: svcName }];
  }
  const out: Entry[] = [];
  let found = false;
  if (svc.headless || r.endpoint !== '') {
    for (const eps of store.endpoints(svc.namespace, svc.name)) {
      for (const addr of eps.addresses) {
        const host = endpointHostname(addr, opts.endpointPodNames);
        if (r.endpoint !== '' && r.endpoint !== host.toLowerCase()) continue;
        for (const p of eps.ports) {
          if (!matchPort(r.port, p.name) || !matchPort(r.protocol, p.protocol)) continue;
          found = true;
          out.push({ host: addr.ip, port: p.port, key: `${host}.${svcName}` });
        }
      }
    }
    return found ? out : nameError;
  }
  for (const p of svc.ports) {
    if (!matchPort(r.port, p.name) || !matchPort(r.protocol, p.protocol)) continue;
    found = true;
    for (const ip of svc.clusterIPs) out.push({ host: ip, port: p.port, key: svcName });
  }
  return found ? out : nameError;
}

/** plugin.A / plugin.AAAA, CNAMEs chased inside the zone and through the upstream outside it. */
async function addressRecords(qname: string, type: 'A' | 'AAAA', ctx: ResolveContext, previous: Answer[]): Promise<Answer[] | typeof nameError> {
  const entries = services(normalizeName(qname), type, ctx);
  if (entries === nameError) return nameError;
  const { opts } = ctx;
  const out: Answer[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    if (isIP(e.host)) {
      if ((type === 'A') !== isIPv4(e.host) || seen.has(e.host)) continue;
      seen.add(e.host);
      out.push(rr(qname, type, opts.ttl, e.host));
      continue;
    }
    const target = normalizeName(e.host);
    if (target === normalizeName(qname) || previous.length > 7) continue;
    const cname = rr(qname, 'CNAME', opts.ttl, target);
    if (previous.some((p) => p.type === 'CNAME' && normalizeName(p.name) === normalizeName(qname) && p.data === target)) continue;
    if (inZone(target, opts.zone)) {
      const next = await addressRecords(target, type, ctx, [...previous, cname]);
      if (next !== nameError && next.length > 0) out.push(cname, ...next);
      continue;
    }
    const upstream = ctx.upstream ? await ctx.upstream(target, type) : undefined;
    out.push(cname, ...(upstream ?? []));
  }
  return out;
}

/** plugin.SRV: priority 0, weight floor(100/n) (at least 1), targets with their addresses as extra. */
function srvRecords(qname: string, ctx: ResolveContext): Lookup | { records: Answer[]; extra: Answer[] } {
  const entries = services(normalizeName(qname), 'SRV', ctx);
  if (entries === nameError) return nameError;
  const weight = Math.max(1, Math.floor(100 / Math.max(1, entries.length)));
  const records: Answer[] = [];
  const extra: Answer[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    if (e.port === -1) continue;
    const srvKey = `${e.key} ${e.port}`;
    if (!seen.has(srvKey)) {
      seen.add(srvKey);
      records.push(rr(qname, 'SRV', ctx.opts.ttl, { priority: 0, weight, port: e.port, target: e.key }));
    }
    const addrKey = `${e.key} ${e.host}`;
    if (!seen.has(addrKey)) {
      seen.add(addrKey);
      extra.push(rr(e.key, isIPv4(e.host) ? 'A' : 'AAAA', ctx.opts.ttl, e.host));
    }
  }
  return { records, extra };
}

/** serviceRecordForIP: a ClusterIP's Service name, else every endpoint name holding the IP. */
function reverseTargets(ip: string, ctx: ResolveContext): string[] {
  const zone = ctx.opts.zone;
  const svc = ctx.store.servicesForIP(ip)[0];
  if (svc) return [`${svc.name}.${svc.namespace}.svc.${zone}`];
  const out: string[] = [];
  for (const eps of ctx.store.endpointsForIP(ip)) {
    for (const addr of eps.addresses) {
      if (addr.ip === ip) out.push(`${endpointHostname(addr, ctx.opts.endpointPodNames)}.${eps.serviceName}.${eps.namespace}.svc.${zone}`);
    }
  }
  return out;
}
