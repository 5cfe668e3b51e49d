import { errorMessage } from '../util/errors.js';
import type { RateLimitingQueue } from './workqueue.js';

/** What reconcile may ask for besides success: look again later even though nothing failed. */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

export interface ControllerOptions {
  name: string;
  queue: RateLimitingQueue<string>;
  /** Brings the world in line for one key; throwing retries the key with per-item backoff. */
  reconcile: (key: string) => Promise<void | ReconcileResult>;
  workers?: number;
  log?: (message: string) => void;
}

/**
 * Runs `workers` loops that take keys off the queue and reconcile them (client-go's
 * processNextWorkItem): success forgets the key's failures, an error re-adds it rate-limited.
 */
export class Controller {
  private readonly log: (message: string) => void;

  constructor(private readonly opts: ControllerOptions) {
    this.log = opts.log ?? ((m) => console.error(m));
  }

  get queue(): RateLimitingQueue<string> {
    return this.opts.queue;
  }

  /** Resolves once `signal` aborts and every worker has finished its current key. */
  async run(signal: AbortSignal): Promise<void> {
    const onAbort = () => this.opts.queue.shutDown();
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const workers = Array.from({ length: Math.max(1, this.opts.workers ?? 1) }, () => this.worker());
    await Promise.all(workers);
    signal.removeEventListener('abort', onAbort);
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.opts.queue.get();
      if (key === undefined) return;
      await this.processItem(key);
    }
  }

  private async processItem(key: string): Promise<void> {
    const queue = this.opts.queue;
    try {
      const result = await this.opts.reconcile(key);
      queue.forget(key);
      if (result && result.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      this.log(`${this.opts.name}: error syncing "${key}": ${errorMessage(err)}, requeuing`);
      queue.addRateLimited(key);
    } finally {
      queue.done(key);
    }
  }
}
