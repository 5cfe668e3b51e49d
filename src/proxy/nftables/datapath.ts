import { realClock, type Clock } from '../../util/clock.js';
import { runTool, type ToolTarget } from '../kernel/exec.js';
import { KernelSyncRunner } from '../kernel/sync-runner.js';
import type { Datapath, EndpointStats, ProxyState, ServicePortName, SyncResult } from '../types.js';
import { buildNftRules, table, type ServiceMemo } from './rules.js';
import { NftTableState, type FullSync } from './table-state.js';

export interface NftablesDatapathOptions {
  netns?: string;
  clusterCIDR?: string;
  /** Unallocated addresses of these are dropped (cluster-ips-check). */
  serviceCIDRs?: string[];
  masqueradeAll?: boolean;
  clock?: Clock;
  fullSyncPeriodMs?: number;
  /** Chains with a `numgen ... vmap` per `nft -f` on a cold start (default 1000); see coldStart(). */
  coldStartChunk?: number;
  /** Delete table ip kube-proxy on close (default true). */
  cleanupOnClose?: boolean;
  log?: (m: string) => void;
}

/**
 * kube-proxy's nftables mode: one `nft -f` transaction per sync. A full sync (the first, after an error,
 * and hourly) recreates the table; a partial one changes only the map elements that differ and the chains
 * whose rules changed, in statement forms that spare nft its listing of the whole table (statements.ts), so
 * affinity sets of unchanged services keep their entries. Stale chains are flushed at once and deleted in a
 * later sync, a second on, as kube-proxy does; that delete rides along with a transaction that needs nft's
 * cache anyway, or runs as its own right after the sync's transaction.
 */
export class NftablesDatapath implements Datapath {
  private readonly target: ToolTarget;
  private readonly runner: KernelSyncRunner;
  private readonly clock: Clock;
  private readonly memo = new Map<ServicePortName, ServiceMemo>();
  private readonly kernel = new NftTableState();
  /** The table holds nothing of ours yet (first sync): nothing depends on it being atomic. */
  private cold = true;
  /** The last sync's main transaction, as sent ('' when it had nothing to change). */
  lastTransaction = '';
  /** The stale-object deletes the last sync sent on their own ('' when none). */
  lastDeferred = '';

  constructor(private readonly opts: NftablesDatapathOptions = {}) {
    this.target = { netns: opts.netns };
    this.clock = opts.clock ?? realClock;
    this.runner = new KernelSyncRunner({ mode: 'nftables', target: this.target, clock: opts.clock, fullSyncPeriodMs: opts.fullSyncPeriodMs });
  }

  get fullSyncs(): number { return this.runner.fullSyncs; }
  get partialSyncs(): number { return this.runner.partialSyncs; }

  sync(state: ProxyState): Promise<SyncResult> {
    return this.runner.sync(state, (s, full) => this.syncProxyRules(s, full));
  }

  private async syncProxyRules(state: ProxyState, full: boolean): Promise<void> {
    const rules = buildNftRules(state, { clusterCIDR: this.opts.clusterCIDR, masqueradeAll: this.opts.masqueradeAll, memo: this.memo });
    this.lastTransaction = '';
    this.lastDeferred = '';
    if (full) {
      // one transaction (atomic: no gap for traffic); the first one, with nothing yet depending on the
      // table, may be split (coldStart)
      const tx = this.kernel.full(rules, this.opts.serviceCIDRs ?? []);
      if (this.cold) await this.coldStart(tx);
      else await this.nft(tx.setup.concat(tx.loadBalancing, tx.elements));
      this.cold = false;
      return;
    }
    const now = this.clock.now();
    const { statements, needsCache } = this.kernel.partial(rules, now);
    const due = this.kernel.dueDeletes(now);
    if (needsCache) return void (await this.nft(statements.concat(due)));
    if (statements.length) await this.nft(statements);
    if (due.length) {
      // the sync's changes are in; housekeeping pays nft's cache listing on its own
      this.lastDeferred = due.concat('').join('\n');
      await runTool(this.target, 'nft', ['-f', '-'], this.lastDeferred);
    }
  }

  private async nft(statements: string[]): Promise<void> {
    const text = statements.concat('').join('\n');
    this.lastTransaction = text;
    await runTool(this.target, 'nft', ['-f', '-'], text);
  }

  /**
   * The first sync in a few transactions instead of one: the kernel walks the whole transaction for every
   * anonymous set it binds (`__nft_set_trans_bind`), so one transaction with N Services costs O(N²). Chains
   * without anonymous maps first, the `numgen ... vmap` chains in chunks, the map elements that make
   * Services reachable last, so no Service is reachable before its chains are complete (kube-proxy issue
   * #139328 proposes the same split for a cold start). With the maps still empty the kernel's validation
   * of the table, at every commit, only walks the base chains.
   */
  private async coldStart(tx: FullSync): Promise<void> {
    const chunk = this.opts.coldStartChunk ?? 1000;
    if (tx.loadBalancing.length <= chunk) return this.nft(tx.setup.concat(tx.loadBalancing, tx.elements));
    await this.nft(tx.setup);
    for (let i = 0; i < tx.loadBalancing.length; i += chunk) await this.nft(tx.loadBalancing.slice(i, i + chunk));
    await this.nft(tx.elements);
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
