// The skeleton of the workload controllers that create and delete their pods (ReplicaSet, Job, DaemonSet):
// an OwnerWiring, and ControllerExpectations an owner's deletion forgets.
import type { KubeObject } from '../../api/types.js';
import type { ReconcileResult } from '../../client/controller.js';
import type { EventRecorder } from '../../client/events.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import type { RestClient } from '../../client/rest.js';
import { realClock, type Clock } from '../../util/clock.js';
import { ControllerExpectations } from './expectations.js';
import { OwnerWiring, type OwnerWiringOptions } from './owner-wiring.js';

export interface OwnerControllerOptions {
  factory: InformerFactory;
  recorder: EventRecorder;
  clock?: Clock;
  workers?: number;
  log?: (message: string) => void;
}

/** What the subclass says of its wiring; `workers` is the default the options may override. */
export type OwnerControllerWiring = Pick<OwnerWiringOptions, 'name' | 'kind' | 'owner' | 'owned' | 'workers'>;

export abstract class OwnerController<O extends KubeObject, D extends KubeObject> {
  protected readonly wiring: OwnerWiring<O, D>;
  protected readonly client: RestClient;
  protected readonly clock: Clock;
  readonly expectations: ControllerExpectations;

  constructor(protected readonly opts: OwnerControllerOptions, wiring: OwnerControllerWiring) {
    this.client = opts.factory.client;
    this.clock = opts.clock ?? realClock;
    this.expectations = new ControllerExpectations(this.clock);
    this.wiring = new OwnerWiring({
      ...wiring, factory: opts.factory, clock: this.clock, workers: opts.workers ?? wiring.workers, log: opts.log,
      reconcile: (k) => this.reconcile(k), onOwnerDeleted: (k) => this.expectations.delete(k),
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return this.wiring.run(signal);
  }

  abstract reconcile(key: string): Promise<void | ReconcileResult>;
}
