/**
 * What the datapath wrote into table ip kube-proxy, and the `nft -f` statements that take it to the next
 * state. Pure (no I/O): a full sync recreates the table; a partial one sends only what changed, in forms
 * that skip nft's cache (statements.ts). Stale chains and affinity sets are flushed (chains) at once and
 * deleted a second later in a later transaction, as kube-proxy's staleChains (a `delete` needs the cache).
 */
import type { ServicePortName } from '../types.js';
import type { NftRules, ServiceObjects } from './rules.js';
import { baseRules } from './rules.js';
import { addElements, chainWithRules, deleteElements, rewriteChain, sharedSets, table, type SetElement } from './statements.js';

/** kube-proxy deletes a stale chain once it has been stale this long (kernels before 6.2 need the pause). */
export const staleDeleteDelayMs = 1000;
/** Stale chains this old are deleted in the next sync even while syncs keep coming (see the datapath). */
export const staleDeleteMaxMs = 10_000;

/** A full sync's statements, in the order one transaction takes them; a cold start may split them. */
export interface FullSync {
  /** Table, base rules, affinity sets, every chain declared, and the chains without anonymous maps. */
  setup: string[];
  /** The chains holding `numgen … vmap { … }` (one anonymous map each: the costly part for the kernel). */
  loadBalancing: string[];
  /** The shared maps' elements: what makes Services reachable, so last. */
  elements: string[];
}

export interface PartialSync {
  statements: string[];
  /** Some statement makes nft list the table (element or set deletes); deferred deletes may ride along. */
  needsCache: boolean;
}

const sameRules = (a: readonly string[] | undefined, b: readonly string[]) => a !== undefined && a.length === b.length && a.every((r, i) => r === b[i]);
const hasAnonymousMap = (rules: readonly string[]) => rules.some((r) => r.includes(' vmap { '));
/** An earlier chain of the Service, filled in at once (no anonymous map), names `name`: declare it first. */
const jumpedTo = (so: ServiceObjects, name: string) => {
  for (const [other, rs] of so.chains) {
    if (other === name) return false;
    if (!hasAnonymousMap(rs) && rs.some((r) => r.includes(` ${name}`))) return true;
  }
  return false;
};

export class NftTableState {
  private services = new Map<ServicePortName, ServiceObjects>();
  /** `set key` → element body, as in the kernel. */
  private elements = new Map<string, string>();
  private nodeIPs: SetElement[] = [];
  /** Flushed, not yet deleted: name → when it went stale (ms). */
  readonly staleChains = new Map<string, number>();
  readonly staleSets = new Map<string, number>();

  full(rules: NftRules, serviceCIDRs: string[]): FullSync {
    const t = table;
    this.services = new Map(rules.services);
    this.elements.clear();
    this.staleChains.clear();
    this.staleSets.clear();
    const setup = [`add table ${t}`, `delete table ${t}`, ...baseRules(serviceCIDRs)];
    const blocks: string[] = [];
    const loadBalancing: string[] = [];
    const bySet = new Map<string, string[]>([...sharedSets.keys()].map((s) => [s, []]));
    for (const so of rules.services.values()) {
      for (const [name, def] of so.sets) setup.push(`add set ${t} ${name} ${def}`);
      // chains in the order kube-proxy creates them (what `nft list` shows), most with their rules at once;
      // those with a `numgen … vmap` are filled in later (the costly part), those an earlier chain names
      // are declared first
      for (const [name, rs] of so.chains) setup.push(hasAnonymousMap(rs) || jumpedTo(so, name) ? `add chain ${t} ${name}` : chainWithRules(name, rs));
      for (const [name, rs] of so.chains) if (jumpedTo(so, name) && !hasAnonymousMap(rs)) blocks.push(chainWithRules(name, rs));
      for (const [name, rs] of so.chains) if (hasAnonymousMap(rs)) loadBalancing.push(chainWithRules(name, rs));
    }
    this.nodeIPs = nodeIPElements(rules.nodeIPs);
    for (const so of rules.services.values()) for (const e of so.elements) this.put(e, bySet);
    for (const e of this.nodeIPs) this.put(e, bySet);
    return { setup: setup.concat(blocks), loadBalancing, elements: [...bySet].flatMap(([s, bodies]) => addElements(s, bodies)) };
  }

  /** Only the differences to what is in the kernel; updates this state as if the transaction succeeded. */
  partial(rules: NftRules, now: number): PartialSync {
    const t = table;
    const deletes = new Map<string, string[]>();
    const adds = new Map<string, string[]>();
    const flushes: string[] = [];
    const setChanges: string[] = [];
    const blocks: string[] = [];
    let needsCache = false;
    const staleNow = (so: ServiceObjects, keep?: ServiceObjects) => {
      for (const name of so.chains.keys()) if (!keep?.chains.has(name)) (flushes.push(`flush chain ${t} ${name}`), this.staleChains.set(name, now));
      for (const name of so.sets.keys()) if (!keep?.sets.has(name)) this.staleSets.set(name, now);
    };
    const diffElements = (before: SetElement[], after: SetElement[]) => {
      const kept = new Set(after.map((e) => `${e.set} ${e.body}`));
      for (const e of before) if (!kept.has(`${e.set} ${e.body}`)) this.remove(e, deletes);
      const had = new Set(before.map((e) => `${e.set} ${e.body}`));
      for (const e of after) if (!had.has(`${e.set} ${e.body}`)) this.put(e, adds, deletes);
    };

    for (const [spn, so] of rules.services) {
      const prev = this.services.get(spn);
      if (prev === so) continue;
      this.services.set(spn, so);
      for (const [name, def] of so.sets) {
        if (prev?.sets.get(name) === def && !this.staleSets.has(name)) continue;
        // a set that exists with other settings (or stale entries): recreate it (rare; needs the cache)
        if (prev?.sets.has(name) || this.staleSets.delete(name)) (setChanges.push(`delete set ${t} ${name}`), (needsCache = true));
        setChanges.push(`add set ${t} ${name} ${def}`);
      }
      for (const [name, rs] of so.chains) {
        if (sameRules(prev?.chains.get(name), rs) && !this.staleChains.has(name)) continue;
        this.staleChains.delete(name);
        const [declare, flush, ...fill] = rewriteChain(name, rs);
        flushes.push(declare!, flush!);
        blocks.push(...fill);
      }
      if (prev) staleNow(prev, so);
      diffElements(prev?.elements ?? [], so.elements);
    }
    for (const [spn, prev] of this.services) {
      if (rules.services.has(spn)) continue;
      this.services.delete(spn);
      staleNow(prev);
      diffElements(prev.elements, []);
    }
    const nodeIPs = nodeIPElements(rules.nodeIPs);
    diffElements(this.nodeIPs, nodeIPs);
    this.nodeIPs = nodeIPs;

    const elementDeletes = [...deletes].flatMap(([s, keys]) => deleteElements(s, keys));
    needsCache ||= elementDeletes.length > 0;
    const statements = elementDeletes.concat(flushes, setChanges, blocks, [...adds].flatMap(([s, bodies]) => addElements(s, bodies)));
    return { statements, needsCache };
  }

  /** When the oldest stale chain or set went stale (Infinity when none). */
  oldestStale(): number {
    let oldest = Infinity;
    for (const stale of [this.staleChains, this.staleSets]) for (const since of stale.values()) oldest = Math.min(oldest, since);
    return oldest;
  }

  /** `delete` statements for what has been stale long enough (kube-proxy: > 1 s); forgets them. */
  dueDeletes(now: number): string[] {
    const out: string[] = [];
    for (const [kind, stale] of [['chain', this.staleChains], ['set', this.staleSets]] as const) {
      for (const [name, since] of stale) {
        if (now - since < staleDeleteDelayMs) continue;
        out.push(`delete ${kind} ${table} ${name}`);
        stale.delete(name);
      }
    }
    return out;
  }

  private put(e: SetElement, adds: Map<string, string[]>, deletes?: Map<string, string[]>): void {
    const id = `${e.set} ${e.key}`;
    const current = this.elements.get(id);
    if (current === e.body) return;
    if (current !== undefined && deletes) push(deletes, e.set, e.key);
    this.elements.set(id, e.body);
    push(adds, e.set, e.body);
  }

  private remove(e: SetElement, deletes: Map<string, string[]>): void {
    const id = `${e.set} ${e.key}`;
    if (this.elements.get(id) !== e.body) return; // another Service's now
    this.elements.delete(id);
    push(deletes, e.set, e.key);
  }
}

function push(m: Map<string, string[]>, key: string, value: string): void {
  const list = m.get(key);
  if (list) list.push(value);
  else m.set(key, [value]);
}

const nodeIPElements = (ips: string[]): SetElement[] => ips.map((ip) => ({ set: 'nodeport-ips', key: ip, body: ip }));
