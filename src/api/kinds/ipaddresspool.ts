/** MetalLB IPAddressPool (metallb.io/v1beta1): address syntax per pool; overlap across pools via poolsOverlap. */
import type { CIDR } from '../../util/net.js';
import { cidrString, cidrsOverlap, parseCIDR, parseIP, summarizeRange } from '../../util/net.js';
import type { ResourceStrategy } from '../strategy.js';
import type { FieldError } from '../status.js';
import type { KubeObject } from '../types.js';
import { index, invalid, required } from '../validation/field.js';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../validation/metadata.js';

export interface IPAddressPool extends KubeObject {
  spec?: {
    addresses?: string[];
    autoAssign?: boolean;
    avoidBuggyIPs?: boolean;
    serviceAllocation?: Record<string, unknown>;
  };
}

/** MetalLB's ParseCIDR: a CIDR or `start-end` (summarised into CIDRs). Throws with MetalLB's message. */
export function parsePoolAddress(addr: string): CIDR[] {
  if (!addr.includes('-')) {
    const c = parseCIDR(addr.trim());
    if (!c) throw new Error(`invalid CIDR ${JSON.stringify(addr)}`);
    return [c];
  }
  const [a, b] = addr.split('-', 2) as [string, string];
  const start = parseIP(a.trim());
  if (!start) throw new Error(`invalid IP range ${JSON.stringify(addr)}: invalid start IP ${JSON.stringify(a)}`);
  const end = parseIP(b.trim());
  if (!end) throw new Error(`invalid IP range ${JSON.stringify(addr)}: invalid end IP ${JSON.stringify(b)}`);
  if (start.family !== end.family || start.value > end.value) {
    throw new Error(`invalid IP range ${JSON.stringify(addr)}: start IP ${JSON.stringify(a.trim())} is after the end IP ${JSON.stringify(b.trim())}`);
  }
  return summarizeRange(start, end);
}

/** All CIDRs of a pool; addresses that do not parse are skipped (validation reports them). */
export function poolCIDRs(pool: IPAddressPool): CIDR[] {
  const out: CIDR[] = [];
  for (const a of pool.spec?.addresses ?? []) {
    try {
      out.push(...parsePoolAddress(a));
    } catch {
      // reported by validateIPAddressPool
    }
  }
  return out;
}

const cidrText = (c: CIDR): string => cidrString(c);

/**
 * The cross-object rule the API server checks against every other pool: undefined when `a` (the
 * pool being written) does not overlap `b`, else MetalLB's webhook message.
 */
export function poolsOverlap(a: IPAddressPool, b: IPAddressPool): string | undefined {
  for (const ca of poolCIDRs(a)) {
    for (const cb of poolCIDRs(b)) {
      if (cidrsOverlap(ca, cb)) {
        return `CIDR ${JSON.stringify(cidrText(ca))} in pool ${JSON.stringify(a.metadata?.name ?? '')} overlaps with already defined CIDR ${JSON.stringify(cidrText(cb))}`;
      }
    }
  }
  return undefined;
}

export function validateIPAddressPool(pool: IPAddressPool): FieldError[] {
  const errs = validateObjectMeta(pool.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  const addrs = pool.spec?.addresses;
  if (!addrs) return [...errs, required('spec.addresses')];
  const seen: CIDR[] = [];
  addrs.forEach((a, i) => {
    let cidrs: CIDR[];
    try {
      cidrs = parsePoolAddress(a);
    } catch (err) {
      errs.push(invalid(index('spec.addresses', i), a, (err as Error).message));
      return;
    }
    for (const c of cidrs) {
      const clash = seen.find((s) => cidrsOverlap(s, c));
      if (clash) errs.push(invalid(index('spec.addresses', i), a, `CIDR ${JSON.stringify(cidrText(c))} in pool ${JSON.stringify(pool.metadata?.name ?? '')} overlaps with already defined CIDR ${JSON.stringify(cidrText(clash))}`));
      seen.push(c);
    }
  });
  return errs;
}

export function ipAddressPoolStrategy(): ResourceStrategy {
  return {
    tracksGeneration: true,
    applyDefaults: (obj: KubeObject) => {
      const spec = ((obj as IPAddressPool).spec ??= {});
      spec.autoAssign ??= true;
      spec.avoidBuggyIPs ??= false;
    },
    validate: (obj: KubeObject) => validateIPAddressPool(obj as IPAddressPool),
    validateUpdate: (obj: KubeObject, old: KubeObject) => [
      ...validateObjectMetaUpdate(obj.metadata, old.metadata),
      ...validateIPAddressPool(obj as IPAddressPool).filter((e) => !e.field.startsWith('metadata.')),
    ],
  };
}
