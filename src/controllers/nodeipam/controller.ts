import type { Node } from 'kubernetes-types/core/v1.js';
import { findResource } from '../../api/resources.js';
import { isStatusError } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import { Controller } from '../../client/controller.js';
import type { EventRecorder } from '../../client/events.js';
import { deletedObject, type SharedInformer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import type { RestClient } from '../../client/rest.js';
import { RateLimitingQueue } from '../../client/workqueue.js';
import { CidrSet } from './cidrset.js';

const nodes = findResource('', 'v1', 'nodes')!;
type NodeObject = Node & KubeObject;

export interface NodeIpamOptions {
  factory: InformerFactory;
  recorder: EventRecorder;
  clusterCIDR: string;
  nodeMaskSize?: number;
  log?: (message: string) => void;
}

/** node-ipam-controller (range allocator): gives every Node a podCIDR from the cluster CIDR. */
export class NodeIpamController {
  private readonly queue = new RateLimitingQueue<string>();
  private readonly controller: Controller;
  private readonly client: RestClient;
  private readonly informer: SharedInformer<NodeObject>;
  private readonly cidrs: CidrSet;
  private initialized = false;
  /** What we handed out but the cache may not show yet. */
  private readonly pending = new Map<string, string>();

  constructor(private readonly opts: NodeIpamOptions) {
    this.client = opts.factory.client;
    this.cidrs = new CidrSet(opts.clusterCIDR, opts.nodeMaskSize ?? 24);
    // One worker: allocation order is the order nodes are queued, i.e. creation order.
    this.controller = new Controller({ name: 'node-ipam', queue: this.queue, workers: 1, log: opts.log, reconcile: (k) => this.reconcile(k) });
    this.informer = opts.factory.informerFor<NodeObject>(nodes);
    this.informer.addEventHandler({
      onAdd: (n) => {
        if (this.initialized && !n.spec?.podCIDR) this.queue.add(n.metadata.name!);
      },
      onUpdate: (_o, n) => {
        if (this.initialized && !n.spec?.podCIDR) this.queue.add(n.metadata.name!);
      },
      onDelete: (x) => {
        const n = deletedObject(x);
        for (const c of n.spec?.podCIDRs ?? (n.spec?.podCIDR ? [n.spec.podCIDR] : [])) this.cidrs.release(c);
        this.pending.delete(n.metadata.name!);
      },
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.opts.factory.waitForCacheSync(signal))) return;
    // Occupy what nodes already have before handing out anything (the allocator's restart path).
    const all = this.informer.store.list();
    for (const n of all) for (const c of n.spec?.podCIDRs ?? (n.spec?.podCIDR ? [n.spec.podCIDR] : [])) this.cidrs.occupy(c);
    this.initialized = true;
    const created = (n: NodeObject) => n.metadata.creationTimestamp ?? '';
    for (const n of [...all].sort((a, b) => created(a).localeCompare(created(b)) || a.metadata.name!.localeCompare(b.metadata.name!))) {
      if (!n.spec?.podCIDR) this.queue.add(n.metadata.name!);
    }
    await this.controller.run(signal);
  }

  async reconcile(name: string): Promise<void> {
    const node = this.informer.store.get(name);
    if (!node || node.spec?.podCIDR) {
      this.pending.delete(name);
      return;
    }
    let cidr = this.pending.get(name);
    if (!cidr) {
      cidr = this.cidrs.allocateNext();
      if (!cidr) {
        this.opts.recorder.event(node, 'Normal', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
        throw new Error(`node-ipam: no CIDR left in ${this.opts.clusterCIDR} for node ${name}`);
      }
      this.pending.set(name, cidr);
    }
    try {
      await this.client.patch(nodes, { name, type: 'merge', patch: { spec: { podCIDR: cidr, podCIDRs: [cidr] } } });
    } catch (err) {
      if (isStatusError(err, 'NotFound')) {
        this.cidrs.release(cidr);
        this.pending.delete(name);
        return;
      }
      throw err;
    }
  }
}
