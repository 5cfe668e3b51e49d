import { realClock, type Clock } from '../../util/clock.js';
import { SkiffError } from '../../util/errors.js';
import { clearUdpConntrack, udpFlowsToClear } from '../kernel/conntrack.js';
import { runTool, type ToolTarget } from '../kernel/exec.js';
import type { Datapath, EndpointStats, ProxyState, ServicePortName, SyncResult } from '../types.js';
import { baseRules, buildNftRules, sharedElements, table } from './rules.js';

export interface NftablesDatapathOptions {
  netns?: string;
  clusterCIDR?: string;
  /** Unallocated addresses of these are dropped (cluster-ips-check). */
  serviceCIDRs?: string[];
  masqueradeAll?: boolean;
  clock?: Clock;
  fullSyncPeriodMs?: number;
  /** Delete table ip kube-proxy on close (default true). */
  cleanupOnClose?: boolean;
  log?: (m: string) => void;
}

interface Written {
  key: string;
  chains: string[];
  sets: Map<string, string>;
}

/**
 * kube-proxy's nftables mode: one `nft -f` transaction per sync. The first sync recreates the table; later
 * ones refill the shared maps and rewrite only the chains of services that changed (all on a full sync),
 * deleting chains and affinity sets that are gone. Affinity sets of unchanged services keep their entries.
 */
export class NftablesDatapath implements Datapath {
  private readonly target: ToolTarget;
  private readonly clock: Clock;
  private queue: Promise<unknown> = Promise.resolve();
  private written = new Map<ServicePortName, Written>();
  private lastState?: ProxyState;
  private needFullSync = true;
  private tableExists = false;
  private lastFullSync = -Infinity;
  private closed = false;
  lastTransaction = '';
  partialSyncs = 0;
  fullSyncs = 0;

  constructor(private readonly opts: NftablesDatapathOptions = {}) {
    this.target = { netns: opts.netns };
    this.clock = opts.clock ?? realClock;
  }

  sync(state: ProxyState): Promise<SyncResult> {
    const run = this.queue.then(() => this.syncProxyRules(state));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async syncProxyRules(state: ProxyState): Promise<SyncResult> {
    if (this.closed) throw new SkiffError('DatapathClosed', 'the nftables datapath is closed');
    const full = this.needFullSync || this.clock.now() - this.lastFullSync >= (this.opts.fullSyncPeriodMs ?? 3_600_000);
    const recreate = !this.tableExists;
    const rules = buildNftRules(state, { clusterCIDR: this.opts.clusterCIDR, masqueradeAll: this.opts.masqueradeAll });
    const t = table;
    const tx: string[] = [];
    if (recreate) tx.push(`add table ${t}`, `delete table ${t}`);
    if (full || recreate) tx.push(...baseRules(this.opts.serviceCIDRs ?? []));
    else tx.push(`add table ${t} { comment "rules for kube-proxy" ; }`);
    if (!recreate) tx.push(...sharedElements.map((e) => `flush ${e.split(' ')[0]} ${t} ${e.split(' ')[1]}`));

    const next = new Map<ServicePortName, Written>();
    const rewrite: string[] = [];
    const elements: string[] = [];
    for (const [spn, so] of rules.services) {
      const key = JSON.stringify([[...so.chains], [...so.sets]]);
      const w: Written = { key, chains: [...so.chains.keys()], sets: so.sets };
      next.set(spn, w);
      elements.push(...so.elements);
      const prev = recreate ? undefined : this.written.get(spn);
      if (!full && prev?.key === key) continue;
      for (const [name, def] of so.sets) {
        if (prev && prev.sets.has(name) && prev.sets.get(name) !== def) rewrite.push(`delete set ${t} ${name}`);
        rewrite.push(`add set ${t} ${name} ${def}`);
      }
      for (const name of so.chains.keys()) rewrite.push(`add chain ${t} ${name}`, `flush chain ${t} ${name}`);
      for (const [name, lines] of so.chains) for (const r of lines) rewrite.push(`add rule ${t} ${name} ${r}`);
    }
    const liveChains = new Set([...next.values()].flatMap((w) => w.chains));
    const liveSets = new Set([...next.values()].flatMap((w) => [...w.sets.keys()]));
    const stale: string[] = [];
    if (!recreate) {
      const oldChains = new Set([...this.written.values()].flatMap((w) => w.chains));
      const oldSets = new Set([...this.written.values()].flatMap((w) => [...w.sets.keys()]));
      for (const c of oldChains) if (!liveChains.has(c)) stale.push(`flush chain ${t} ${c}`);
      for (const c of oldChains) if (!liveChains.has(c)) stale.push(`delete chain ${t} ${c}`);
      for (const s of oldSets) if (!liveSets.has(s)) stale.push(`delete set ${t} ${s}`);
    }
    tx.push(...rewrite, ...stale, ...elements);
    if (rules.nodeIPs.length) tx.push(`add element ${t} nodeport-ips { ${rules.nodeIPs.join(', ')} }`);
    tx.push('');
    const text = tx.join('\n');
    try {
      await runTool(this.target, 'nft', ['-f', '-'], text);
    } catch (err) {
      this.needFullSync = true;
      this.tableExists = false;
      throw err;
    }
    this.tableExists = true;
    const previous = this.lastState;
    this.lastState = state;
    this.written = next;
    this.lastTransaction = text;
    if (full || recreate) {
      this.needFullSync = false;
      this.lastFullSync = this.clock.now();
      this.fullSyncs++;
    } else this.partialSyncs++;
    if (previous) await clearUdpConntrack(this.target, udpFlowsToClear(previous, state));
    return { bindErrors: [], listening: [] };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    if (this.opts.cleanupOnClose === false) return;
    await runTool(this.target, 'nft', ['-f', '-'], `add table ${table}\ndelete table ${table}\n`)
      .catch((err) => this.opts.log?.(`proxy: nftables cleanup: ${(err as Error).message}`));
  }

  stats(): EndpointStats[] {
    return [];
  }
}
