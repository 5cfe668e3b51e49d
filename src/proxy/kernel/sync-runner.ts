import { realClock, type Clock } from '../../util/clock.js';
import { SkiffError } from '../../util/errors.js';
import type { ProxyState, SyncResult } from '../types.js';
import { clearUdpConntrack, udpFlowsToClear } from './conntrack.js';
import type { ToolTarget } from './exec.js';

export interface KernelSyncRunnerOptions {
  /** `iptables` / `nftables`, for the error after close(). */
  mode: string;
  target: ToolTarget;
  clock?: Clock;
  /** A full sync at least this often (kube-proxy's syncPeriod); default 1h. */
  fullSyncPeriodMs?: number;
}

/** Writes `state` to the kernel: everything when `full`, only what changed since the last write otherwise. */
export type WriteRules = (state: ProxyState, full: boolean) => Promise<void>;

/**
 * What both kernel datapaths share (kube-proxy's syncProxyRules around the backend-specific part): syncs run
 * one at a time in call order; a sync is full the first time, after a failed write (the kernel may hold
 * anything now) and every fullSyncPeriodMs, partial otherwise; stale UDP conntrack entries are cleared after
 * a successful write.
 */
export class KernelSyncRunner {
  private readonly clock: Clock;
  private queue: Promise<unknown> = Promise.resolve();
  private needFullSync = true;
  private lastFullSync = -Infinity;
  private lastState?: ProxyState;
  private closed = false;
  partialSyncs = 0;
  fullSyncs = 0;

  constructor(private readonly opts: KernelSyncRunnerOptions) {
    this.clock = opts.clock ?? realClock;
  }

  sync(state: ProxyState, write: WriteRules): Promise<SyncResult> {
    const run = this.queue.then(() => this.syncOnce(state, write));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async syncOnce(state: ProxyState, write: WriteRules): Promise<SyncResult> {
    if (this.closed) throw new SkiffError('DatapathClosed', `the ${this.opts.mode} datapath is closed`);
    const full = this.needFullSync || this.clock.now() - this.lastFullSync >= (this.opts.fullSyncPeriodMs ?? 3_600_000);
    try {
      await write(state, full);
    } catch (err) {
      this.needFullSync = true;
      throw err;
    }
    const previous = this.lastState;
    this.lastState = state;
    if (full) {
      this.needFullSync = false;
      this.lastFullSync = this.clock.now();
      this.fullSyncs++;
    } else this.partialSyncs++;
    if (previous) await clearUdpConntrack(this.opts.target, udpFlowsToClear(previous, state));
    return { bindErrors: [], listening: [] };
  }

  /**
   * Runs `job` between syncs (none runs meanwhile); a failure makes the next sync a full one. Nothing runs
   * after close().
   */
  between(job: () => Promise<void>): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.closed) return;
      try {
        await job();
      } catch (err) {
        this.needFullSync = true;
        throw err;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** No sync starts after this; resolves when the running one is done. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
  }
}
