import { realClock, type Clock, type TimerHandle } from '../util/clock.js';
import { defaultControllerRateLimiter, type RateLimiter } from './ratelimiter.js';

/**
 * client-go's work queue: an item queued twice is processed once; an item is never handed to two
 * workers at once; an item re-added while being processed is queued again when `done` is called.
 */
export class WorkQueue<T = string> {
  private queue: T[] = [];
  private readonly dirty = new Set<T>();
  private readonly processing = new Set<T>();
  private waiters: Array<(item: T | undefined) => void> = [];
  private shutting = false;

  add(item: T): void {
    if (this.shutting || this.dirty.has(item)) return;
    this.dirty.add(item);
    if (this.processing.has(item)) return;
    this.push(item);
  }

  len(): number {
    return this.queue.length;
  }

  /** The next item to process, or undefined once the queue is shut down (and empty of waiters' work). */
  get(): Promise<T | undefined> {
    if (this.queue.length > 0) return Promise.resolve(this.take(this.queue.shift()!));
    if (this.shutting) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `item` processed; if it was re-added meanwhile it goes back on the queue. */
  done(item: T): void {
    this.processing.delete(item);
    if (this.dirty.has(item)) this.push(item);
  }

  /** Stops accepting items; blocked and future `get` calls return undefined. */
  shutDown(): void {
    this.shutting = true;
    this.queue = [];
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(undefined);
  }

  shuttingDown(): boolean {
    return this.shutting;
  }

  private push(item: T): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(this.take(item));
    else this.queue.push(item);
  }

  private take(item: T): T {
    this.processing.add(item);
    this.dirty.delete(item);
    return item;
  }
}

/** A work queue whose items can be added after a delay; a pending earlier delay wins. */
export class DelayingQueue<T = string> extends WorkQueue<T> {
  private readonly waiting = new Map<T, { at: number; timer: TimerHandle }>();
  protected readonly clock: Clock;

  constructor(opts: { clock?: Clock } = {}) {
    super();
    this.clock = opts.clock ?? realClock;
  }

  addAfter(item: T, ms: number): void {
    if (this.shuttingDown()) return;
    if (ms <= 0) {
      this.add(item);
      return;
    }
    const at = this.clock.now() + ms;
    const pending = this.waiting.get(item);
    if (pending && pending.at <= at) return;
    if (pending) this.clock.clearTimeout(pending.timer);
    const timer = this.clock.setTimeout(() => {
      this.waiting.delete(item);
      this.add(item);
    }, ms);
    this.waiting.set(item, { at, timer });
  }

  override shutDown(): void {
    for (const { timer } of this.waiting.values()) this.clock.clearTimeout(timer);
    this.waiting.clear();
    super.shutDown();
  }
}

/** The queue controllers use: retries wait per the rate limiter until `forget` resets the item. */
export class RateLimitingQueue<T = string> extends DelayingQueue<T> {
  private readonly limiter: RateLimiter<T>;

  constructor(opts: { clock?: Clock; rateLimiter?: RateLimiter<T>; bucket?: boolean } = {}) {
    super(opts);
    this.limiter = opts.rateLimiter ?? defaultControllerRateLimiter<T>({ clock: this.clock, bucket: opts.bucket });
  }

  addRateLimited(item: T): void {
    this.addAfter(item, this.limiter.when(item));
  }

  forget(item: T): void {
    this.limiter.forget(item);
  }

  numRequeues(item: T): number {
    return this.limiter.numRequeues(item);
  }
}
