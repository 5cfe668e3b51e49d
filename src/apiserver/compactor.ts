import type { Store } from '../storage/store.js';
import type { Clock, TimerHandle } from '../util/clock.js';

/**
 * kube-apiserver's storage compaction: every interval, compact history up to the revision that was
 * current one interval ago, so watches and continue tokens stay valid for at least one interval.
 */
export class Compactor {
  private timer?: TimerHandle;
  private previous = 0;

  constructor(private readonly opts: { store: Store; clock: Clock; intervalMs?: number; log?: (msg: string) => void }) {}

  start(): void {
    this.schedule();
  }

  stop(): void {
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One round: compact to the revision remembered last round, remember the current one. */
  async compactOnce(): Promise<void> {
    const current = await this.opts.store.currentRevision();
    if (this.previous > 0 && this.previous > (await this.opts.store.compactRevision())) {
      await this.opts.store.compact(this.previous);
      this.opts.log?.(`compacted storage to revision ${this.previous}`);
    }
    this.previous = current;
  }

  private schedule(): void {
    this.timer = this.opts.clock.setTimeout(() => {
      this.compactOnce()
        .catch((err: unknown) => this.opts.log?.(`compaction failed: ${(err as Error).message}`))
        .finally(() => {
          if (this.timer) this.schedule();
        });
    }, this.opts.intervalMs ?? 5 * 60_000);
  }
}
