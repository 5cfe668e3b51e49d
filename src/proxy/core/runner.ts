import type { Clock, TimerHandle } from '../../util/clock.js';

/**
 * client-go's BoundedFrequencyRunner as kube-proxy uses it: `run()` asks for a sync; syncs are at
 * least `minIntervalMs` apart (changes arriving in between are batched into one), and one happens at
 * least every `maxIntervalMs`. A sync never overlaps the previous one.
 */
export class BoundedFrequencyRunner {
  private lastRun = -Infinity;
  private timer?: TimerHandle;
  private running = false;
  private pending = false;
  private stopped = false;

  constructor(private readonly opts: { fn: () => Promise<void>; minIntervalMs: number; maxIntervalMs: number; clock: Clock }) {}

  /** Requests a sync as soon as the minimum interval allows. */
  run(): void {
    if (this.stopped) return;
    this.pending = true;
    if (this.running) return;
    this.schedule(Math.max(0, this.lastRun + this.opts.minIntervalMs - this.opts.clock.now()));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delay: number): void {
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = this.opts.clock.setTimeout(() => void this.tick(), delay);
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.stopped) return;
    this.running = true;
    this.pending = false;
    this.lastRun = this.opts.clock.now();
    try {
      await this.opts.fn();
    } finally {
      this.running = false;
    }
    if (this.stopped) return;
    if (this.pending) this.schedule(Math.max(0, this.lastRun + this.opts.minIntervalMs - this.opts.clock.now()));
    else this.schedule(this.opts.maxIntervalMs);
  }
}
