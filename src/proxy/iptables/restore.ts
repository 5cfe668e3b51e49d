/**
 * The iptables-restore input of one sync, and what a full sync reads back from the tables (chains a
 * restarted proxy left behind, jump rules already in the built-in chains).
 */
import type { ServicePortName } from '../types.js';
import { jumpRules, serviceChainPrefixes, type ServiceChains, type ServiceRules } from './rules.js';

export type JumpRule = (typeof jumpRules)[number];

/** Shared chains (KUBE-SERVICES, ...) of one table that this sync rewrites, with their rules. */
export interface SharedChanges {
  chains: string[];
  rules: string[];
}

const sameLines = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The shared chains whose rules differ from the last restore's, from the service ports that changed: a
 * shared chain is the ports' lines in name order, so it changed exactly when some port's lines in it did.
 * An endpoint change leaves KUBE-SERVICES alone, and iptables-nft's restore pays for every chain its input
 * names (a GETCHAIN each, and a cache request list sorted by insertion).
 */
export function dirtySharedChains(before: Map<ServicePortName, ServiceRules>, after: Map<ServicePortName, ServiceRules>): { filter: Set<string>; nat: Set<string> } {
  const out = { filter: new Set<string>(), nat: new Set<string>() };
  const none: ServiceRules = { chains: [], rules: [], nat: { services: [], nodePorts: [] }, filter: { services: [], external: [], nodePorts: [] } };
  const compare = (a: ServiceRules, b: ServiceRules) => {
    if (!sameLines(a.nat.services, b.nat.services)) out.nat.add('KUBE-SERVICES');
    if (!sameLines(a.nat.nodePorts, b.nat.nodePorts)) out.nat.add('KUBE-NODEPORTS');
    if (!sameLines(a.filter.services, b.filter.services)) out.filter.add('KUBE-SERVICES');
    if (!sameLines(a.filter.external, b.filter.external)) out.filter.add('KUBE-EXTERNAL-SERVICES');
    if (!sameLines(a.filter.nodePorts, b.filter.nodePorts)) out.filter.add('KUBE-NODEPORTS');
  };
  for (const [spn, sc] of after) {
    const was = before.get(spn);
    if (was !== sc) compare(was ?? none, sc);
  }
  for (const [spn, was] of before) if (!after.has(spn)) compare(was, none);
  return out;
}

/** The shared chains to write: all of them (full sync) or the dirty ones, each whole. */
export function sharedChanges(byChain: Map<string, string[]>, dirty?: Set<string>): SharedChanges {
  const out: SharedChanges = { chains: [], rules: [] };
  for (const [chain, rules] of byChain) {
    if (dirty && !dirty.has(chain)) continue;
    out.chains.push(chain);
    for (const r of rules) out.rules.push(r);
  }
  return out;
}

export interface RestoreParts {
  filter: SharedChanges;
  nat: SharedChanges;
  /** Service ports whose chains are rewritten. */
  changed: ServiceChains[];
  /** Chains no Service uses any more (declared, so flushed, then deleted). */
  stale: string[];
  /** Jump rules missing from the built-in chains (full syncs), inserted at the top as `iptables -I` would. */
  jumps: JumpRule[];
  /**
   * Write the changed service ports' chains this many per `*nat … COMMIT` (iptables-nft full syncs): the
   * restore's cache request list is sorted by insertion, so one transaction naming 40,000 chains costs
   * minutes. Each transaction still replaces whole Services, and KUBE-SERVICES comes last, so every
   * state in between is one a sync could have left.
   */
  chunk?: number;
}

export const chainLine = (chain: string) => `:${chain} - [0:0]`;

/** `iptables -I` arguments of a jump rule, as kube-proxy's ensureRule writes it. */
export function jumpSpec(j: JumpRule): string[] {
  return [j.from, '-m', 'comment', '--comment', j.comment, ...j.extra, '-j', j.to];
}

const quoted = (w: string) => (/[\s"]/.test(w) ? `"${w}"` : w);

/** `--noflush` input naming only what changes; '' when nothing does. */
export function restoreInput(p: RestoreParts): string {
  const jumpLines = (table: string) => p.jumps.filter((j) => j.table === table).map((j) => ['-I', ...jumpSpec(j)].map(quoted).join(' '));
  const out: string[] = [];
  const filterJumps = jumpLines('filter');
  if (p.filter.chains.length || filterJumps.length) {
    out.push('*filter');
    for (const c of p.filter.chains) out.push(chainLine(c));
    for (const l of filterJumps) out.push(l);
    for (const l of p.filter.rules) out.push(l);
    out.push('COMMIT');
  }
  const natJumps = jumpLines('nat');
  const changed = p.changed.filter((sc) => sc.chains.length > 0);
  if (!(p.nat.chains.length || changed.length || p.stale.length || natJumps.length)) return finish(out);
  const chunk = p.chunk && changed.length > p.chunk ? p.chunk : Infinity;
  // chunked: the chains the per-service rules jump to first, KUBE-SERVICES and KUBE-NODEPORTS last
  const early = chunk === Infinity ? [] : p.nat.chains.filter((c) => !lateChains.includes(c));
  if (early.length) {
    out.push('*nat');
    for (const c of early) out.push(chainLine(c));
    for (const l of p.nat.rules) if (early.includes(l.slice(3, l.indexOf(' ', 3)))) out.push(l);
    out.push('COMMIT');
  }
  for (let i = 0; i < changed.length || i === 0; i += chunk) {
    const last = i + chunk >= changed.length;
    const part = chunk === Infinity ? changed : changed.slice(i, i + chunk);
    out.push('*nat');
    if (last) for (const c of p.nat.chains) if (!early.includes(c)) out.push(chainLine(c));
    for (const sc of part) for (const c of sc.chains) out.push(chainLine(c));
    if (last) for (const c of p.stale) out.push(chainLine(c));
    if (last) for (const l of p.nat.rules) if (!early.includes(l.slice(3, l.indexOf(' ', 3)))) out.push(l);
    for (const sc of part) for (const l of sc.rules) out.push(l);
    if (last) for (const l of natJumps) out.push(l);
    if (last) for (const c of p.stale) out.push(`-X ${c}`);
    out.push('COMMIT');
  }
  return finish(out);
}

const lateChains = ['KUBE-SERVICES', 'KUBE-NODEPORTS'];
const finish = (out: string[]) => (out.length ? out.join('\n') + '\n' : '');

/** Identifies a jump rule by table, chain, comment, target and `--ctstate NEW` (how the save prints it varies). */
export function jumpKey(j: { table: string; from: string; comment: string; to: string; extra: readonly string[] }): string {
  return `${j.table} ${j.from} ${j.comment} ${j.to} ${j.extra.includes('NEW')}`;
}

/** Jump keys of the `-A` rules in iptables-save / `iptables -S` output (`*table` lines switch tables). */
export function jumpsIn(save: string): Set<string> {
  const out = new Set<string>();
  let table = '';
  for (const l of save.split('\n')) {
    if (l.startsWith('*')) table = l.slice(1).trim();
    if (!l.startsWith('-A ')) continue;
    const m = /^-A (\S+) .*--comment (?:"([^"]*)"|(\S+)).* -j (\S+)/.exec(l);
    if (m) out.add(jumpKey({ table, from: m[1]!, comment: m[2] ?? m[3]!, to: m[4]!, extra: / --ctstate NEW( |$)/.test(l) ? ['NEW'] : [] }));
  }
  return out;
}

const isServiceChain = (c: string) => serviceChainPrefixes.some((p) => c.startsWith(p));

/** kube-proxy's per-service chains declared in one table of iptables-save output. */
export function serviceChainsIn(save: string, table: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const l of save.split('\n')) {
    if (l.startsWith('*')) current = l.slice(1).trim();
    else if (current === table && l.startsWith(':')) {
      const c = l.slice(1).split(' ')[0]!;
      if (isServiceChain(c)) out.push(c);
    }
  }
  return out;
}

/** kube-proxy's per-service chains of `table ip <table>` in `nft list chains ip` output (iptables-nft's tables). */
export function nftChainsIn(list: string, table: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const l of list.split('\n')) {
    const t = /^table ip (\S+) \{/.exec(l);
    if (t) current = t[1]!;
    else if (l === '}') current = '';
    else if (current === table) {
      const c = /^\s+chain (\S+) \{/.exec(l);
      if (c && isServiceChain(c[1]!)) out.push(c[1]!);
    }
  }
  return out;
}

/**
 * close(): every chain flushed, then deleted. With `chunk` (iptables-nft) in transactions of that many
 * chains, all flushes before any delete, so no chain is still referenced when it goes.
 */
export function cleanupInput(filter: string[], nat: string[], chunk = Infinity): string {
  const out = ['*filter', ...filter.map(chainLine), ...filter.map((c) => `-X ${c}`), 'COMMIT'];
  const parts: string[][] = [];
  for (let i = 0; i < nat.length; i += chunk) parts.push(nat.slice(i, i + chunk));
  for (const del of chunk === Infinity ? [true] : [false, true]) {
    for (const part of parts) {
      out.push('*nat');
      for (const c of part) out.push(chainLine(c));
      if (del) for (const c of part) out.push(`-X ${c}`);
      out.push('COMMIT');
    }
  }
  return out.join('\n') + '\n';
}
