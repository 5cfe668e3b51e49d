import type { Clock } from '../util/clock.js';

/** How long to wait before an item may be retried (client-go's workqueue.RateLimiter). */
export interface RateLimiter<T> {
  when(item: T): number;
  forget(item: T): void;
  numRequeues(item: T): number;
}

/** base·2^failures per item, capped at max (client-go: 5ms .. 1000s). */
export class ItemExponentialFailureRateLimiter<T> implements RateLimiter<T> {
  private readonly failures = new Map<T, number>();
  constructor(
    private readonly baseMs = 5,
    private readonly maxMs = 1_000_000,
  ) {}
  when(item: T): number {
    const exp = this.failures.get(item) ?? 0;
    this.failures.set(item, exp + 1);
    return Math.min(this.baseMs * 2 ** exp, this.maxMs);
  }
  forget(item: T): void {
    this.failures.delete(item);
  }
  numRequeues(item: T): number {
    return this.failures.get(item) ?? 0;
  }
}

/** One token bucket shared by all items (client-go: 10 qps, burst 100), timed by `clock`. */
export class BucketRateLimiter<T> implements RateLimiter<T> {
  private tokens: number;
  private last: number;
  constructor(private readonly opts: { qps: number; burst: number; clock: Clock }) {
    this.tokens = opts.burst;
    this.last = opts.clock.now();
  }
  when(_item: T): number {
    const now = this.opts.clock.now();
    this.tokens = Math.min(this.opts.burst, this.tokens + ((now - this.last) / 1000) * this.opts.qps);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.opts.qps) * 1000);
  }
  forget(_item: T): void {}
  numRequeues(_item: T): number {
    return 0;
  }
}

/** The longest wait any of its limiters asks for. */
export class MaxOfRateLimiter<T> implements RateLimiter<T> {
  private readonly limiters: RateLimiter<T>[];
  constructor(...limiters: RateLimiter<T>[]) {
    this.limiters = limiters;
  }
  when(item: T): number {
    return Math.max(0, ...this.limiters.map((l) => l.when(item)));
  }
  forget(item: T): void {
    for (const l of this.limiters) l.forget(item);
  }
  numRequeues(item: T): number {
    return Math.max(0, ...this.limiters.map((l) => l.numRequeues(item)));
  }
}

/** client-go's DefaultControllerRateLimiter: per-item exponential, optionally with the overall bucket. */
export function defaultControllerRateLimiter<T>(opts: { clock: Clock; bucket?: boolean }): RateLimiter<T> {
  const perItem = new ItemExponentialFailureRateLimiter<T>(5, 1_000_000);
  if (opts.bucket === false) return perItem;
  return new MaxOfRateLimiter<T>(perItem, new BucketRateLimiter<T>({ qps: 10, burst: 100, clock: opts.clock }));
}
