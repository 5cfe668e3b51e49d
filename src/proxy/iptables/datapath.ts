import type { Clock } from '../../util/clock.js';
import { runTool, type ToolTarget } from '../kernel/exec.js';
import { KernelSyncRunner } from '../kernel/sync-runner.js';
import type { Datapath, EndpointStats, ProxyState, ServicePortName, SyncResult } from '../types.js';
import {
  buildIptablesRules, filterChains, jumpRules, natChains, serviceChainPrefixes, type ServiceChains,
} from './rules.js';

export interface IptablesDatapathOptions {
  /** Run the tools in this netns (`ip netns exec`); default: the netns of this process. */
  netns?: string;
  /** The pod CIDR; off-cluster traffic to ClusterIPs is masqueraded (`! -s clusterCIDR`). */
  clusterCIDR?: string;
  masqueradeAll?: boolean;
  clock?: Clock;
  /** A full sync (every chain rewritten, stale ones found with iptables-save) at least this often; default 1h. */
  fullSyncPeriodMs?: number;
  /** Remove every rule and chain on close (default true: skiff removes what it adds). */
  cleanupOnClose?: boolean;
  /**
   * The iptables backend: `nft` (iptables-nft, what `iptables` is on Debian 12) or `legacy` (x_tables);
   * kube-proxy uses whichever the node's rules are in. Default: the `iptables-restore` on PATH.
   */
  backend?: 'nft' | 'legacy';
  log?: (m: string) => void;
}

/**
 * kube-proxy's iptables mode: one `iptables-restore --noflush` per sync with the nat and filter tables.
 * Shared chains (KUBE-SERVICES, KUBE-NODEPORTS, ...) are rewritten every time; per-service chains only
 * when their rules changed (kube-proxy's partial sync), all of them on a full sync.
 */
export class IptablesDatapath implements Datapath {
  private readonly target: ToolTarget;
  private readonly runner: KernelSyncRunner;
  private readonly tool: (name: 'iptables' | 'iptables-save' | 'iptables-restore') => string;
  private written = new Map<ServicePortName, { key: string; chains: string[] }>();
  /** Lines of the last restore input (tests, `kubectl debug node` comparisons). */
  lastRestore = '';

  constructor(private readonly opts: IptablesDatapathOptions = {}) {
    this.target = { netns: opts.netns };
    this.runner = new KernelSyncRunner({ mode: 'iptables', target: this.target, clock: opts.clock, fullSyncPeriodMs: opts.fullSyncPeriodMs });
    const b = opts.backend;
    this.tool = (name) => (b ? name.replace('iptables', `iptables-${b}`) : name);
  }

  get fullSyncs(): number { return this.runner.fullSyncs; }
  get partialSyncs(): number { return this.runner.partialSyncs; }

  sync(state: ProxyState): Promise<SyncResult> {
    return this.runner.sync(state, (s, full) => this.syncProxyRules(s, full));
  }

  private async syncProxyRules(state: ProxyState, full: boolean): Promise<void> {
    const rules = buildIptablesRules(state, { clusterCIDR: this.opts.clusterCIDR, masqueradeAll: this.opts.masqueradeAll });
    const next = new Map<ServicePortName, { key: string; chains: string[] }>();
    const changed: ServiceChains[] = [];
    for (const [spn, sc] of rules.services) {
      const key = sc.rules.join('\n') + '\n' + sc.chains.join(' ');
      next.set(spn, { key, chains: sc.chains });
      if (full || this.written.get(spn)?.key !== key) changed.push(sc);
    }
    const live = new Set([...next.values()].flatMap((v) => v.chains));
    const stale = new Set([...this.written.values()].flatMap((v) => v.chains).filter((c) => !live.has(c)));
    if (full) for (const c of await this.existingServiceChains()) if (!live.has(c)) stale.add(c);

    // concat, not push(...): at 10,000 Services the lists outgrow the argument limit
    const text = ['*filter'].concat(filterChains.map(chainLine), rules.filterRules, ['COMMIT', '*nat'], natChains.map(chainLine),
      changed.flatMap((sc) => sc.chains.map(chainLine)), [...stale].map(chainLine), rules.natRules,
      changed.flatMap((sc) => sc.rules), [...stale].map((c) => `-X ${c}`), ['COMMIT', '']).join('\n');
    await runTool(this.target, this.tool('iptables-restore'), ['-w', '--noflush'], text);
    if (full) await this.ensureJumpRules();
    this.written = next;
    this.lastRestore = text;
  }

  /** KUBE-SVC-/SVL-/EXT-/FW-/SEP- chains in the nat table now (a restarted proxy finds its old ones). */
  private async existingServiceChains(): Promise<string[]> {
    const { stdout } = await runTool(this.target, this.tool('iptables-save'), ['-t', 'nat']);
    return stdout.split('\n').filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0])
      .filter((c) => serviceChainPrefixes.some((p) => c.startsWith(p)));
  }

  /** The built-in chains jump to kube-proxy's (iptablesJumpChains), prepended once. */
  private async ensureJumpRules(): Promise<void> {
    for (const j of jumpRules) {
      const spec = [j.from, '-m', 'comment', '--comment', j.comment, ...j.extra, '-j', j.to];
      try {
        await runTool(this.target, this.tool('iptables'), ['-w', '-t', j.table, '-C', ...spec]);
      } catch {
        await runTool(this.target, this.tool('iptables'), ['-w', '-t', j.table, '-I', ...spec]);
      }
    }
  }

  async close(): Promise<void> {
    await this.runner.close();
    if (this.opts.cleanupOnClose === false) return;
    for (const j of jumpRules) {
      const spec = [j.from, '-m', 'comment', '--comment', j.comment, ...j.extra, '-j', j.to];
      await runTool(this.target, this.tool('iptables'), ['-w', '-t', j.table, '-D', ...spec]).catch(() => undefined);
    }
    const chains = await this.existingServiceChains().catch(() => [] as string[]);
    const all = [...new Set([...natChains, ...chains])];
    const text = [
      '*filter', ...filterChains.map(chainLine), ...filterChains.map((c) => `-X ${c}`), 'COMMIT',
      '*nat', ...all.map(chainLine), ...all.map((c) => `-X ${c}`), 'COMMIT', '',
    ].join('\n');
    await runTool(this.target, this.tool('iptables-restore'), ['-w', '--noflush'], text).catch((err) => this.opts.log?.(`proxy: iptables cleanup: ${(err as Error).message}`));
  }

  stats(): EndpointStats[] {
    return [];
  }
}

function chainLine(chain: string): string {
  return `:${chain} - [0:0]`;
}
