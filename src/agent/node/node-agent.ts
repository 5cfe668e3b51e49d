/**
 * Node registration and heartbeats (kubelet's registerWithAPIServer, updateNodeStatus and the node
 * lease controller): creates or reconciles the Node, patches nodes/status every 10 s when it changed
 * (and at least every 5 min), renews the Lease `kube-node-lease/<node>` every 10 s.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { findResource } from '../../api/resources.js';
import { isStatusError } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import type { EventRecorder } from '../../client/events.js';
import type { RestClient } from '../../client/rest.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { nthIP, parseCIDR } from '../../util/net.js';
import { newNode, nodeLabels, nodeStatus, statusChanged, type NodeIdentity } from './node-status.js';

const nodes = findResource('', 'v1', 'nodes')!;
const leases = findResource('coordination.k8s.io', 'v1', 'leases')!;

export const NODE_STATUS_UPDATE_MS = 10_000;
export const NODE_STATUS_REPORT_MS = 5 * 60_000;
export const LEASE_DURATION_SECONDS = 40;

export interface NodeAgentOptions extends NodeIdentity {
  client: RestClient;
  clock: Clock;
  recorder: EventRecorder;
  log: (message: string) => void;
  /** For the podCIDR fallback when no node-ipam controller assigns one. */
  clusterCIDR?: string;
  podCIDRWaitMs?: number;
}

/** MicroTime as Kubernetes writes it (RFC 3339 with microseconds). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class NodeAgent {
  private node: (Node & KubeObject) | undefined;
  private lastReport = 0;
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly opts: NodeAgentOptions) {}

  get name(): string {
    return this.opts.nodeName;
  }

  /** Registers the Node (create, or reconcile an existing one) and posts the first status. */
  async register(): Promise<Node> {
    const { client, clock } = this.opts;
    const now = clock.now();
    this.opts.recorder.event(this.ref(), 'Normal', 'Starting', 'Starting kubelet.');
    try {
      this.node = await client.create<Node & KubeObject>(nodes, newNode(this.opts, now) as Node & KubeObject);
    } catch (err) {
      if (!isStatusError(err) || err.status.reason !== 'AlreadyExists') throw err;
      const existing = await client.get<Node & KubeObject>(nodes, { name: this.opts.nodeName });
      this.node = await client.patch<Node & KubeObject>(nodes, { name: this.opts.nodeName, type: 'merge', patch: { metadata: { labels: nodeLabels(this.opts) } } });
      void existing;
    }
    await this.postStatus(true);
    for (const [reason, what] of [
      ['NodeHasSufficientMemory', 'NodeHasSufficientMemory'],
      ['NodeHasNoDiskPressure', 'NodeHasNoDiskPressure'],
      ['NodeHasSufficientPID', 'NodeHasSufficientPID'],
    ]) {
      this.opts.recorder.event(this.ref(), 'Normal', reason!, `Node ${this.opts.nodeName} status is now: ${what}`);
    }
    this.opts.recorder.event(this.ref(), 'Normal', 'NodeAllocatableEnforced', 'Updated Node Allocatable limit across pods');
    this.opts.recorder.event(this.ref(), 'Normal', 'NodeReady', `Node ${this.opts.nodeName} status is now: NodeReady`);
    await this.renewLease();
    return this.node!;
  }

  /** The involvedObject kubelet uses for node events: the Node with uid = node name. */
  private ref(): KubeObject {
    return { apiVersion: 'v1', kind: 'Node', metadata: { name: this.opts.nodeName, uid: this.opts.nodeName } } as KubeObject;
  }

  /** Waits for spec.podCIDR (node-ipam controller); after `podCIDRWaitMs`, computes `<cluster>.k.0/24` by creation order. */
  async podCIDR(): Promise<{ cidr: string; assigned: boolean }> {
    const deadline = this.opts.clock.now() + (this.opts.podCIDRWaitMs ?? 5000);
    for (;;) {
      const node = await this.opts.client.get<Node & KubeObject>(nodes, { name: this.opts.nodeName });
      if (node.spec?.podCIDR) return { cidr: node.spec.podCIDR, assigned: true };
      if (this.opts.clock.now() >= deadline || this.stopped) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const list = await this.opts.client.list<Node & KubeObject>(nodes);
    const ordered = list.items.sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name!.localeCompare(b.metadata.name!));
    const k = Math.max(0, ordered.findIndex((n) => n.metadata.name === this.opts.nodeName));
    const cluster = parseCIDR(this.opts.clusterCIDR ?? '127.42.0.0/16')!;
    return { cidr: `${nthIP(cluster, k * 256)}/24`, assigned: false };
  }

  /** Starts the 10 s status + lease loop. */
  start(): void {
    const tick = async () => {
      if (this.stopped) return;
      try {
        await this.postStatus(false);
        await this.renewLease();
      } catch (err) {
        this.opts.log(`node ${this.opts.nodeName}: heartbeat failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (!this.stopped) this.timer = this.opts.clock.setTimeout(() => void tick(), NODE_STATUS_UPDATE_MS);
    };
    this.timer = this.opts.clock.setTimeout(() => void tick(), NODE_STATUS_UPDATE_MS);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
  }

  private async postStatus(force: boolean): Promise<void> {
    const { client, clock } = this.opts;
    const now = clock.now();
    const current = await client.get<Node & KubeObject>(nodes, { name: this.opts.nodeName });
    const status = nodeStatus(this.opts, current.status, now);
    if (!force && !statusChanged(current.status, status) && now - this.lastReport < NODE_STATUS_REPORT_MS) return;
    this.node = await client.patch<Node & KubeObject>(nodes, { name: this.opts.nodeName, subresource: 'status', type: 'merge', patch: { status } });
    this.lastReport = now;
  }

  private async renewLease(): Promise<void> {
    const { client, clock } = this.opts;
    const spec = { holderIdentity: this.opts.nodeName, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microTime(clock.now()) };
    const ownerReferences = this.node?.metadata.uid ? [{ apiVersion: 'v1', kind: 'Node', name: this.opts.nodeName, uid: this.node.metadata.uid }] : undefined;
    try {
      const lease = await client.get<Lease & KubeObject>(leases, { namespace: 'kube-node-lease', name: this.opts.nodeName });
      await client.update<Lease & KubeObject>(leases, { ...lease, metadata: { ...lease.metadata, ...(ownerReferences ? { ownerReferences } : {}) }, spec: { ...lease.spec, ...spec } }, { namespace: 'kube-node-lease' });
    } catch (err) {
      if (!isStatusError(err) || err.status.code !== 404) throw err;
      const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.opts.nodeName, namespace: 'kube-node-lease', ...(ownerReferences ? { ownerReferences } : {}) }, spec } as Lease & KubeObject;
      await client.create(leases, lease, { namespace: 'kube-node-lease' });
    }
  }
}
