/** MetalLB's config.Pool, built from an IPAddressPool object (api/v1beta1, internal/config). */
import { fromLabelSelector, matches, type LabelSelectorRequirements } from '../../api/labels.js';
import { poolCIDRs, type IPAddressPool } from '../../api/kinds/ipaddresspool.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { cidrContains, cidrSize, type CIDR, type IP } from '../../util/net.js';

export interface ServiceAllocation {
  priority: number;
  /** Namespaces named outright plus those matching namespaceSelectors; empty = every namespace. */
  namespaces: Set<string>;
  serviceSelectors: LabelSelectorRequirements[];
}

export interface Pool {
  /** The pool object's name (MetalLB pools are keyed by name). */
  name: string;
  cidrs: CIDR[];
  autoAssign: boolean;
  avoidBuggyIPs: boolean;
  serviceAllocation?: ServiceAllocation;
}

interface RawServiceAllocation {
  priority?: number;
  namespaces?: string[];
  namespaceSelectors?: LabelSelector[];
  serviceSelectors?: LabelSelector[];
}

/** namespaceLabels: the labels of every namespace, to resolve namespaceSelectors as MetalLB's config does. */
export function poolFromObject(obj: IPAddressPool, namespaceLabels: Map<string, Record<string, string>>): Pool {
  const spec = obj.spec ?? {};
  const pool: Pool = { name: obj.metadata.name!, cidrs: poolCIDRs(obj), autoAssign: spec.autoAssign ?? true, avoidBuggyIPs: spec.avoidBuggyIPs ?? false };
  const sa = spec.serviceAllocation as RawServiceAllocation | undefined;
  if (sa) {
    const namespaces = new Set(sa.namespaces ?? []);
    for (const sel of sa.namespaceSelectors ?? []) {
      const req = fromLabelSelector(sel);
      for (const [ns, labels] of namespaceLabels) if (matches(req, labels)) namespaces.add(ns);
    }
    pool.serviceAllocation = { priority: sa.priority ?? 0, namespaces, serviceSelectors: (sa.serviceSelectors ?? []).map((s) => fromLabelSelector(s)) };
    // Selectors were given but matched no namespace: the pool serves none (not all).
    if (namespaces.size === 0 && (sa.namespaceSelectors?.length ?? 0) > 0) pool.serviceAllocation.namespaces.add('\x00none');
  }
  return pool;
}

/** isPoolCompatibleWithService. */
export function poolServes(pool: Pool, svc: { namespace: string; labels?: Record<string, string> }): boolean {
  const sa = pool.serviceAllocation;
  if (!sa) return true;
  if (sa.namespaces.size > 0 && !sa.namespaces.has(svc.namespace)) return false;
  if (sa.serviceSelectors.length > 0) return sa.serviceSelectors.some((s) => matches(s, svc.labels));
  return true;
}

/** IPv4 addresses ending in .0 or .255, which some old clients mishandle. */
export function isBuggyIP(ip: IP): boolean {
  if (ip.family !== 'IPv4') return false;
  const last = ip.value & 0xffn;
  return last === 0n || last === 255n;
}

export function poolContains(pool: Pool, ip: string): boolean {
  return pool.cidrs.some((c) => cidrContains(c, ip));
}

/** Every address the pool may hand out, lowest first (CIDRs in the order written). */
export function* poolIPs(pool: Pool): Generator<IP> {
  for (const c of pool.cidrs) {
    const size = cidrSize(c);
    for (let i = 0n; i < size; i++) {
      const ip = { family: c.family, value: c.network + i };
      if (pool.avoidBuggyIPs && isBuggyIP(ip)) continue;
      yield ip;
    }
  }
}

/** How many addresses of each family the pool may hand out (without enumerating large ranges). */
export function poolCapacity(pool: Pool): { ipv4: bigint; ipv6: bigint } {
  let ipv4 = 0n;
  let ipv6 = 0n;
  for (const c of pool.cidrs) {
    let n = cidrSize(c);
    if (c.family === 'IPv4' && pool.avoidBuggyIPs) {
      if (c.prefix <= 24) n -= n / 128n;
      else {
        if ((c.network & 0xffn) === 0n) n--;
        if (((c.network + cidrSize(c) - 1n) & 0xffn) === 255n) n--;
      }
    }
    if (c.family === 'IPv4') ipv4 += n;
    else ipv6 += n;
  }
  return { ipv4, ipv6 };
}
