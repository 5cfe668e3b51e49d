import { StorageError, type StoreEvent, type Watcher, type WatchOptions } from './store.js';

/**
 * An unbounded push-to-pull queue behind every driver's watch: the driver pushes committed
 * events, the consumer pulls them with `for await`. It ends on abort or close and can carry
 * one terminal error (for example 'Compacted'), which the next pull rejects with.
 */
export class EventQueue implements AsyncIterable<StoreEvent> {
  private readonly buffer: StoreEvent[] = [];
  private head = 0;
  private waiter: ((result: IteratorResult<StoreEvent>) => void) | undefined;
  private failWaiter: ((err: unknown) => void) | undefined;
  private ended = false;
  private error: unknown;
  private readonly onEnd: () => void;
  private detachSignal = (): void => {};

  constructor(options: { signal: AbortSignal; onEnd?: () => void }) {
    this.onEnd = options.onEnd ?? (() => {});
    // An aborted consumer wants nothing more: drop what is buffered.
    const abort = (): void => {
      this.buffer.length = 0;
      this.head = 0;
      this.error = undefined;
      this.end();
    };
    if (options.signal.aborted) {
      abort();
    } else {
      options.signal.addEventListener('abort', abort, { once: true });
      this.detachSignal = () => options.signal.removeEventListener('abort', abort);
    }
  }

  get closed(): boolean {
    return this.ended;
  }

  push(event: StoreEvent): void {
    if (this.ended) return;
    if (this.waiter) {
      const resolve = this.waiter;
      this.clearWaiters();
      resolve({ value: event, done: false });
      return;
    }
    this.buffer.push(event);
  }

  /** End after the buffered events are drained. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.detachSignal();
    this.onEnd();
    if (this.waiter) {
      const resolve = this.waiter;
      this.clearWaiters();
      resolve({ value: undefined, done: true });
    }
  }

  /** End with an error: buffered events are still delivered first, then the pull rejects. */
  fail(err: unknown): void {
    if (this.ended) return;
    if (this.failWaiter) {
      const reject = this.failWaiter;
      this.clearWaiters();
      this.ended = true;
      this.detachSignal();
      this.onEnd();
      reject(err);
      return;
    }
    this.error = err;
    this.end();
  }

  private clearWaiters(): void {
    this.waiter = undefined;
    this.failWaiter = undefined;
  }

  private next(): Promise<IteratorResult<StoreEvent>> {
    if (this.head < this.buffer.length) {
      const value = this.buffer[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.buffer.length) {
        this.buffer.splice(0, this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.error !== undefined) {
      const err = this.error;
      this.error = undefined;
      return Promise.reject(err);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.failWaiter = reject;
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<StoreEvent> {
    return {
      next: () => this.next(),
      return: () => {
        this.end();
        this.buffer.length = 0;
        this.head = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

/** Smallest string greater than every string starting with `prefix` ('' → no upper bound). */
export function prefixEnd(prefix: string): string | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const code = prefix.charCodeAt(i);
    if (code < 0xffff) return prefix.slice(0, i) + String.fromCharCode(code + 1);
  }
  return undefined;
}

/** In-process fan-out of committed events to the watchers whose prefix matches (single-writer drivers). */
export class Fanout {
  private readonly watchers = new Set<{ prefix: string; queue: EventQueue }>();

  add(prefix: string, queue: EventQueue): () => void {
    const entry = { prefix, queue };
    this.watchers.add(entry);
    return () => this.watchers.delete(entry);
  }

  publish(event: StoreEvent): void {
    for (const w of this.watchers) {
      if (event.kv.key.startsWith(w.prefix)) w.queue.push(event);
    }
  }

  closeAll(): void {
    for (const w of [...this.watchers]) w.queue.end();
    this.watchers.clear();
  }
}

/**
 * Every driver's watch: refused behind the compact revision, then `replay` pushes the stored events
 * after the start revision and `subscribe` attaches the live feed in the same synchronous step, so no
 * event falls in between. `subscribe` returns what detaches it; it runs when the queue ends.
 */
export function replayThenSubscribe(o: {
  options: WatchOptions;
  compacted: number;
  replay?: (queue: EventQueue) => void;
  subscribe: (queue: EventQueue) => () => void;
}): Watcher {
  const { afterRevision, signal } = o.options;
  if (afterRevision < o.compacted) throw new StorageError('Compacted', `watch from revision ${afterRevision} is older than compact revision ${o.compacted}`);
  let detach = (): void => {};
  const queue = new EventQueue({ signal, onEnd: () => detach() });
  if (queue.closed) return { events: queue };
  o.replay?.(queue);
  detach = o.subscribe(queue);
  return { events: queue };
}
