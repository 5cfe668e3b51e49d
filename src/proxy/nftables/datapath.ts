import { realClock, type Clock, type TimerHandle } from '../../util/clock.js';
import { runTool, type ToolTarget } from '../kernel/exec.js';
import { KernelSyncRunner } from '../kernel/sync-runner.js';
import type { Datapath, EndpointStats, ProxyState, ServicePortName, SyncResult } from '../types.js';
import { buildNftRules, table, type ServiceMemo } from './rules.js';
import { NftTableState, staleDeleteDelayMs, staleDeleteMaxMs, type FullSync } from './table-state.js';

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
 * affinity sets of unchanged services keep their entries. Stale chains are flushed at once and deleted at
 * least a second later, as kube-proxy does — but not in the next sync as there: a `delete` makes nft list
 * the whole table (0.6–1.3 s at 10,000 Services), so it rides along with a transaction that lists it
 * anyway, or runs between syncs once they pause for a second, or after staleDeleteMaxMs of steady churn.
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
  /** The last stale-chain deletes sent on their own, between syncs. */
  lastDeferred = '';
  private housekeeping?: TimerHandle;

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
    // stale chains go in a transaction that lists the table anyway, or once syncs pause (housekeep), or,
    // while syncs keep coming, once the oldest has waited staleDeleteMaxMs
    const due = needsCache || now - this.kernel.oldestStale() >= staleDeleteMaxMs ? this.kernel.dueDeletes(now) : [];
    if (statements.length || due.length) await this.nft(statements.concat(due));
    this.scheduleHousekeeping();
  }

  /** staleDeleteDelayMs after the last sync, the stale chains and sets that are due by then are deleted. */
  private scheduleHousekeeping(): void {
    if (this.housekeeping) this.clock.clearTimeout(this.housekeeping);
    this.housekeeping = undefined;
    if (this.kernel.oldestStale() === Infinity) return;
    this.housekeeping = this.clock.setTimeout(() => {
      this.housekeeping = undefined;
      this.runner.between(() => this.housekeep()).catch((err) => this.opts.log?.(`proxy: nftables: deleting stale chains: ${(err as Error).message}`));
    }, staleDeleteDelayMs);
  }

  private async housekeep(): Promise<void> {
    const due = this.kernel.dueDeletes(this.clock.now());
    if (due.length) {
      this.lastDeferred = due.concat('').join('\n');
      await runTool(this.target, 'nft', ['-f', '-'], this.lastDeferred);
    }
    this.scheduleHousekeeping();
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
    if (this.housekeeping) this.clock.clearTimeout(this.housekeeping);
    await this.runner.close();
    if (this.opts.cleanupOnClose === false) return;
    await runTool(this.target, 'nft', ['-f', '-'], `add table ${table}\ndelete table ${table}\n`)
      .catch((err) => this.opts.log?.(`proxy: nftables cleanup: ${(err as Error).message}`));
  }

  stats(): EndpointStats[] {
    return [];
  }
}
