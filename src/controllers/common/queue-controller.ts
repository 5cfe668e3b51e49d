// The informer → queue → reconcile(key) loop most controllers are (Kubernetes: a controller's queue,
// its workers, and Run waiting for the informer caches before the workers start).
import type { ReconcileResult } from '../../client/controller.js';
import { Controller } from '../../client/controller.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import type { RestClient } from '../../client/rest.js';
import { RateLimitingQueue } from '../../client/workqueue.js';
import { realClock, type Clock } from '../../util/clock.js';

export interface QueueControllerOptions {
  /** The controller's name, for logs. */
  name: string;
  factory: InformerFactory;
  clock?: Clock;
  workers: number;
  log?: (message: string) => void;
  /** run() starts the factory's informers itself (a controller run on its own factory). */
  startInformers?: boolean;
}

export abstract class QueueController {
  protected readonly queue: RateLimitingQueue<string>;
  protected readonly controller: Controller;
  protected readonly client: RestClient;
  protected readonly clock: Clock;

  constructor(private readonly loop: QueueControllerOptions) {
    this.client = loop.factory.client;
    this.clock = loop.clock ?? realClock;
    this.queue = new RateLimitingQueue<string>({ clock: this.clock });
    this.controller = new Controller({ name: loop.name, queue: this.queue, workers: loop.workers, log: loop.log, reconcile: (k) => this.reconcile(k) });
  }

  /** Waits for the shared caches, then reconciles until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.loop.startInformers) this.loop.factory.start(signal);
    if (!(await this.loop.factory.waitForCacheSync(signal))) return;
    await this.controller.run(signal);
  }

  abstract reconcile(key: string): Promise<void | ReconcileResult>;
}
