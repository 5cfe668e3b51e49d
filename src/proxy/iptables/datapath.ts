import type { Clock } from '../../util/clock.js';
import { runTool, type ToolTarget } from '../kernel/exec.js';
import { KernelSyncRunner } from '../kernel/sync-runner.js';
import type { Datapath, Endpoint, EndpointStats, ProxyState, ServicePortInfo, ServicePortName, SyncResult } from '../types.js';
import {
  cleanupInput, dirtySharedChains, jumpKey, jumpsIn, jumpSpec, nftChainsIn, restoreInput, serviceChainsIn, sharedChanges,
} from './restore.js';
import { buildIptablesRules, filterChains, jumpRules, natChains, type ServiceRules } from './rules.js';

export interface IptablesDatapathOptions {
  /** Run the tools in this netns (`ip netns exec`); default: the netns of this process. */
  netns?: string;
  /** The pod CIDR; off-cluster traffic to ClusterIPs is masqueraded (`! -s clusterCIDR`). */
  clusterCIDR?: string;
  masqueradeAll?: boolean;
  clock?: Clock;
  /** A full sync (every chain rewritten, stale ones found and deleted) at least this often; default 1h. */
  fullSyncPeriodMs?: number;
  /** Remove every rule and chain on close (default true: skiff removes what it adds). */
  cleanupOnClose?: boolean;
  /**
   * The iptables backend: `nft` (iptables-nft, what `iptables` is on Debian 12) or `legacy` (x_tables);
   * kube-proxy uses whichever the node's rules are in. Default: the `iptables-restore` on PATH.
   */
  backend?: 'nft' | 'legacy';
  /**
   * iptables-nft full syncs write this many service ports per transaction (default 250): its restore's
   * cost grows with the square of the chains one transaction names. Legacy always uses one.
   */
  servicesPerTransaction?: number;
  log?: (m: string) => void;
}

/**
 * kube-proxy's iptables mode: one `iptables-restore --noflush` per sync. A full sync rewrites every chain,
 * deletes stale ones and inserts missing jump rules in that one restore; a partial sync rewrites only the
 * per-service chains whose rules changed (kube-proxy's partial sync) and the shared chains (KUBE-SERVICES,
 * KUBE-NODEPORTS, ...) whose rules differ from what it last wrote, each still written whole.
 */
export class IptablesDatapath implements Datapath {
  private readonly target: ToolTarget;
  private readonly runner: KernelSyncRunner;
  private readonly tool: (name: 'iptables' | 'iptables-save' | 'iptables-restore') => string;
  /** What the last successful restore wrote per service port (by identity: the memo keeps unchanged ones). */
  private written = new Map<ServicePortName, ServiceRules>();
  private readonly memo = new Map<ServicePortName, { svc: ServicePortInfo; eps: readonly Endpoint[]; out: ServiceRules }>();
  private readonly order = { keys: [] as ServicePortName[] };
  private backend?: 'nft' | 'legacy';
  /** False once `nft list chains` failed (no nft binary): full syncs read the chains with iptables-save. */
  private nftChains = true;
  /** Lines of the last restore input (tests, `kubectl debug node` comparisons). */
  lastRestore = '';

  constructor(private readonly opts: IptablesDatapathOptions = {}) {
    this.target = { netns: opts.netns };
    this.runner = new KernelSyncRunner({ mode: 'iptables', target: this.target, clock: opts.clock, fullSyncPeriodMs: opts.fullSyncPeriodMs });
    const b = opts.backend;
    this.backend = b;
    this.tool = (name) => (b ? name.replace('iptables', `iptables-${b}`) : name);
  }

  get fullSyncs(): number { return this.runner.fullSyncs; }
  get partialSyncs(): number { return this.runner.partialSyncs; }

  sync(state: ProxyState): Promise<SyncResult> {
    return this.runner.sync(state, (s, full) => this.syncProxyRules(s, full));
  }

  private async syncProxyRules(state: ProxyState, full: boolean): Promise<void> {
    const rules = buildIptablesRules(state, { clusterCIDR: this.opts.clusterCIDR, masqueradeAll: this.opts.masqueradeAll, memo: this.memo, order: this.order });
    // a full sync first reads the tables: chains a restarted proxy left, and the jump rules already there
    const existing = full ? await this.existingRules() : undefined;
    const changed: ServiceRules[] = [];
    const stale = new Set<string>();
    for (const [spn, sc] of rules.services) {
      const before = this.written.get(spn);
      if (full || before !== sc) changed.push(sc);
      if (before && before !== sc) for (const c of before.chains) if (!sc.chains.includes(c)) stale.add(c);
    }
    for (const [spn, before] of this.written) if (!rules.services.has(spn)) for (const c of before.chains) stale.add(c);
    if (existing) {
      const live = new Set<string>();
      for (const sc of rules.services.values()) for (const c of sc.chains) live.add(c);
      for (const c of existing.serviceChains) if (!live.has(c)) stale.add(c);
    }
    const dirty = full ? undefined : dirtySharedChains(this.written, rules.services);
    const filter = sharedChanges(rules.filterChainRules, dirty && dirty.filter);
    const nat = sharedChanges(rules.natChainRules, dirty && dirty.nat);
    const jumps = existing ? jumpRules.filter((j) => !existing.jumps.has(jumpKey(j))) : [];
    const text = restoreInput({ filter, nat, changed, stale: [...stale], jumps, chunk: full ? this.chunk() : undefined });
    if (text) await runTool(this.target, this.tool('iptables-restore'), ['-w', '--noflush'], text);
    this.written = rules.services;
    this.lastRestore = text;
  }

  /**
   * What a full sync needs from the tables, in as few reads as the backend allows: legacy reads whole
   * tables anyway (one iptables-save); iptables-nft dumps rules chain by chain, so it lists the nat chains
   * with nft and reads only the built-in chains' rules.
   */
  private async existingRules(): Promise<{ serviceChains: string[]; jumps: Set<string> }> {
    this.backend ??= (await runTool(this.target, this.tool('iptables'), ['-V'])).stdout.includes('legacy') ? 'legacy' : 'nft';
    if (this.backend !== 'nft' || !this.nftChains) {
      const { stdout } = await runTool(this.target, this.tool('iptables-save'), []);
      return { serviceChains: serviceChainsIn(stdout, 'nat'), jumps: jumpsIn(stdout) };
    }
    const builtins = [...new Set(jumpRules.map((j) => `${j.table} ${j.from}`))];
    const [chains, ...saves] = await Promise.all([
      runTool(this.target, 'nft', ['list', 'chains', 'ip']).then((r) => r.stdout, () => undefined),
      ...builtins.map((b) => runTool(this.target, this.tool('iptables'), ['-w', '-t', b.split(' ')[0]!, '-S', b.split(' ')[1]!]).then((r) => `*${b.split(' ')[0]}\n${r.stdout}`)),
    ]);
    if (chains === undefined) {
      this.nftChains = false;
      return this.existingRules();
    }
    return { serviceChains: nftChainsIn(chains, 'nat'), jumps: jumpsIn(saves.join('\n')) };
  }

  async close(): Promise<void> {
    await this.runner.close();
    if (this.opts.cleanupOnClose === false) return;
    const existing = await this.existingRules().catch(() => ({ serviceChains: [] as string[], jumps: undefined }));
    for (const j of jumpRules) {
      if (existing.jumps && !existing.jumps.has(jumpKey(j))) continue;
      await runTool(this.target, this.tool('iptables'), ['-w', '-t', j.table, '-D', ...jumpSpec(j)]).catch(() => undefined);
    }
    const chunk = this.chunk();
    const text = cleanupInput(filterChains, [...new Set([...natChains, ...existing.serviceChains])], chunk && chunk * 4);
    await runTool(this.target, this.tool('iptables-restore'), ['-w', '--noflush'], text).catch((err) => this.opts.log?.(`proxy: iptables cleanup: ${(err as Error).message}`));
  }

  /** Transaction size for many chains at once: iptables-nft only (legacy rewrites the whole table per COMMIT). */
  private chunk(): number | undefined {
    return this.backend === 'nft' ? this.opts.servicesPerTransaction ?? 250 : undefined;
  }

  stats(): EndpointStats[] {
    return [];
  }
}
