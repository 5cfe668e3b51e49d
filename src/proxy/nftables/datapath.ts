import type { Clock } from '../../util/clock.js';
import { SkiffError } from '../../util/errors.js';
import { runTool, type ToolTarget } from '../kernel/exec.js';
import { KernelSyncRunner } from '../kernel/sync-runner.js';
import type { Datapath, EndpointStats, ProxyState, ServicePortName, SyncResult } from '../types.js';
import { baseRules, buildNftRules, table, type ServiceObjects } from './rules.js';

export interface NftablesDatapathOptions {
  netns?: string;
  clusterCIDR?: string;
  /** Unallocated addresses of these are dropped (cluster-ips-check). */
  serviceCIDRs?: string[];
  masqueradeAll?: boolean;
  clock?: Clock;
  fullSyncPeriodMs?: number;
  /** `numgen ... vmap` rules per `nft -f` on a cold start (default 1000); see coldStart(). */
  coldStartChunk?: number;
  /** Delete table ip kube-proxy on close (default true). */
  cleanupOnClose?: boolean;
  log?: (m: string) => void;
}

interface Written {
  objects: ServiceObjects;
  key: string;
  chains: string[];
  sets: Map<string, string>;
}

/**
 * kube-proxy's nftables mode: one `nft -f` transaction per sync. A full sync (the first, after an error,
 * and hourly) recreates the table; a partial one changes only the map elements that differ and the chains
 * of services that changed, deleting chains and affinity sets that are gone, so affinity sets of unchanged
 * services keep their entries.
 */
export class NftablesDatapath implements Datapath {
  private readonly target: ToolTarget;
  private readonly runner: KernelSyncRunner;
  private written = new Map<ServicePortName, Written>();
  private readonly memo = new Map<ServicePortName, { input: string; objects: ServiceObjects }>();
  private elements = new Map<string, Map<string, string>>();
  /** The table holds nothing of ours yet (first sync): nothing depends on it being atomic. */
  private cold = true;
  lastTransaction = '';

  constructor(private readonly opts: NftablesDatapathOptions = {}) {
    this.target = { netns: opts.netns };
    this.runner = new KernelSyncRunner({ mode: 'nftables', target: this.target, clock: opts.clock, fullSyncPeriodMs: opts.fullSyncPeriodMs });
  }

  get fullSyncs(): number { return this.runner.fullSyncs; }
  get partialSyncs(): number { return this.runner.partialSyncs; }

  sync(state: ProxyState): Promise<SyncResult> {
    return this.runner.sync(state, (s, full) => this.syncProxyRules(s, full));
  }

  private async syncProxyRules(state: ProxyState, full: boolean): Promise<void> {
    // A full sync recreates the table in one transaction (atomic: no gap for traffic); the first one, with
    // nothing yet depending on the table, may be split (coldStart).
    const rules = buildNftRules(state, { clusterCIDR: this.opts.clusterCIDR, masqueradeAll: this.opts.masqueradeAll, memo: this.memo });
    const t = table;
    const tx: string[] = [];
    if (full) tx.push(`add table ${t}`, `delete table ${t}`, ...baseRules(this.opts.serviceCIDRs ?? []));

    const next = new Map<ServicePortName, Written>();
    const rewrite: string[] = [];
    const elements = new Map<string, Map<string, string>>(); // map/set name → key → element body
    const addElement = (stmt: string) => {
      const m = /^add element ip kube-proxy (\S+) \{ (.*) \}$/.exec(stmt);
      if (!m) throw new SkiffError('BadElement', stmt);
      const body = m[2];
      const key = body.split(/ comment | : /)[0];
      let per = elements.get(m[1]);
      if (!per) elements.set(m[1], (per = new Map()));
      per.set(key, body);
    };
    for (const [spn, so] of rules.services) {
      so.elements.forEach(addElement);
      const prev = full ? undefined : this.written.get(spn);
      if (prev?.objects === so) {
        next.set(spn, prev);
        continue;
      }
      const key = JSON.stringify([[...so.chains], [...so.sets]]);
      next.set(spn, { objects: so, key, chains: [...so.chains.keys()], sets: so.sets });
      if (prev?.key === key) continue;
      for (const [name, def] of so.sets) {
        if (prev && prev.sets.has(name) && prev.sets.get(name) !== def) rewrite.push(`delete set ${t} ${name}`);
        rewrite.push(`add set ${t} ${name} ${def}`);
      }
      for (const name of so.chains.keys()) rewrite.push(`add chain ${t} ${name}`, `flush chain ${t} ${name}`);
      for (const [name, lines] of so.chains) for (const r of lines) rewrite.push(`add rule ${t} ${name} ${r}`);
    }
    if (rules.nodeIPs.length) rules.nodeIPs.forEach((ip) => addElement(`add element ${t} nodeport-ips { ${ip} }`));

    // Elements: only the difference to what is in the kernel (all of them after a full sync).
    const before = full ? new Map<string, Map<string, string>>() : this.elements;
    const deletes: string[] = [];
    const adds: string[] = [];
    for (const name of new Set([...before.keys(), ...elements.keys()])) {
      const old = before.get(name) ?? new Map<string, string>();
      const now = elements.get(name) ?? new Map<string, string>();
      const gone = [...old].filter(([k, body]) => now.get(k) !== body).map(([k]) => k);
      const added = [...now].filter(([k, body]) => old.get(k) !== body).map(([, body]) => body);
      if (gone.length) deletes.push(`delete element ${t} ${name} { ${gone.join(', ')} }`);
      if (added.length) adds.push(`add element ${t} ${name} { ${added.join(', ')} }`);
    }
    const stale: string[] = [];
    if (!full) {
      const liveChains = new Set([...next.values()].flatMap((w) => w.chains));
      const liveSets = new Set([...next.values()].flatMap((w) => [...w.sets.keys()]));
      const oldChains = new Set([...this.written.values()].flatMap((w) => w.chains));
      const oldSets = new Set([...this.written.values()].flatMap((w) => [...w.sets.keys()]));
      for (const c of oldChains) if (!liveChains.has(c)) stale.push(`flush chain ${t} ${c}`);
      for (const c of oldChains) if (!liveChains.has(c)) stale.push(`delete chain ${t} ${c}`);
      for (const s of oldSets) if (!liveSets.has(s)) stale.push(`delete set ${t} ${s}`);
    }
    // concat, not push(...): at 10,000 Services the lists outgrow the argument limit
    const statements = tx.concat(deletes, rewrite, stale, adds);
    const text = statements.concat('').join('\n');
    if (this.cold) await this.coldStart(statements);
    else await runTool(this.target, 'nft', ['-f', '-'], text);
    this.cold = false;
    this.written = next;
    this.elements = elements;
    this.lastTransaction = text;
  }

  /**
   * The first sync in a few transactions instead of one: the kernel walks the whole transaction for every
   * anonymous set it binds (`__nft_set_trans_bind`), so one transaction with N Services costs O(N²) — 47 s
   * at 10,000. Chains and plain rules first, the `numgen ... vmap` rules in chunks, the map elements that make
   * Services reachable last, so no Service is reachable before its chains are complete (kube-proxy issue
   * #139328 proposes the same split for a cold start).
   */
  private async coldStart(statements: string[]): Promise<void> {
    const isVmapRule = (l: string) => l.startsWith('add rule ') && l.includes(' vmap { ');
    const isElement = (l: string) => l.startsWith('add element ');
    const vmapRules = statements.filter(isVmapRule);
    const chunk = this.opts.coldStartChunk ?? 1000;
    if (vmapRules.length <= chunk) return void (await runTool(this.target, 'nft', ['-f', '-'], statements.concat('').join('\n')));
    const run = (lines: string[]) => runTool(this.target, 'nft', ['-f', '-'], lines.concat('').join('\n'));
    await run(statements.filter((l) => !isVmapRule(l) && !isElement(l)));
    for (let i = 0; i < vmapRules.length; i += chunk) await run(vmapRules.slice(i, i + chunk));
    await run(statements.filter(isElement));
  }

  async close(): Promise<void> {
    await this.runner.close();
    if (this.opts.cleanupOnClose === false) return;
    await runTool(this.target, 'nft', ['-f', '-'], `add table ${table}\ndelete table ${table}\n`)
      .catch((err) => this.opts.log?.(`proxy: nftables cleanup: ${(err as Error).message}`));
  }

  stats(): EndpointStats[] {
    return [];
  }
}
