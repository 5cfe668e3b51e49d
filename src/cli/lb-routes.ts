/**
 * netns mode, on the machine: a LoadBalancer address from an IPAddressPool outside skiff's own ranges (seed
 * 000's 192.168.1.240-250) gets a /32 route via skiff's link skf-C, so `curl <EXTERNAL-IP>` from the machine
 * reaches the cluster, and the pool an `unreachable` route (high metric, as skiff's own ranges) so no packet
 * for it ever leaves the machine. A pool that overlaps a route the machine already has (the default route
 * aside) is refused: a Warning event on the pool and a log line, and no route of skiff's for it.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import { poolCIDRs, type IPAddressPool } from '../api/kinds/ipaddresspool.js';
import { findResource } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';
import type { HostNetwork } from '../agent/hostnet/topology.js';
import { Controller } from '../client/controller.js';
import { EventRecorder } from '../client/events.js';
import { InformerFactory } from '../client/informer-factory.js';
import type { RestClient } from '../client/rest.js';
import { RateLimitingQueue } from '../client/workqueue.js';
import { cidrContains, cidrString, cidrsOverlap, parseCIDR, type CIDR } from '../util/net.js';
import type { Logger } from './logger.js';

const services = findResource('', 'v1', 'services')!;
const pools = findResource('metallb.io', 'v1beta1', 'ipaddresspools')!;
const KEY = 'routes';

type Pool = IPAddressPool & KubeObject;

export class LoadBalancerRoutes {
  private readonly factory: InformerFactory;
  private readonly queue = new RateLimitingQueue<string>();
  private readonly recorder: EventRecorder;
  private readonly abort = new AbortController();
  private readonly own: CIDR[];
  /** /32 routes made so far, and the conflict last reported per pool (reported once until it changes). */
  private hosts: string[] = [];
  private readonly reported = new Map<string, string>();
  private running?: Promise<void>;

  constructor(private readonly o: { client: RestClient; hostnet: HostNetwork; log: Logger }) {
    this.factory = new InformerFactory({ client: o.client, log: (m) => o.log.debug(m) });
    this.recorder = new EventRecorder({ client: o.client, component: 'skiff-netns-host', log: (m) => o.log.debug(m) });
    this.own = o.hostnet.plan.ranges.map((r) => parseCIDR(r)!);
    const changed = () => this.queue.add(KEY);
    for (const r of [services, pools]) this.factory.informerFor(r).addEventHandler({ onAdd: changed, onUpdate: changed, onDelete: changed });
  }

  start(): void {
    const controller = new Controller({ name: 'lb-routes', queue: this.queue, workers: 1, log: (m) => this.o.log.info(m), reconcile: () => this.reconcile() });
    this.factory.start(this.abort.signal);
    this.running = (async () => {
      if (await this.factory.waitForCacheSync(this.abort.signal)) await controller.run(this.abort.signal);
    })();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.queue.shutDown();
    await this.running;
  }

  private async reconcile(): Promise<void> {
    const accepted: CIDR[] = [];
    for (const pool of this.factory.informerFor<Pool>(pools).store.list()) {
      if (pool.metadata.deletionTimestamp) continue;
      const foreign = poolCIDRs(pool).filter((c) => c.family === 'IPv4' && !this.own.some((r) => cidrsOverlap(r, c)));
      const conflicts: string[] = [];
      for (const c of foreign) {
        const hit = await this.o.hostnet.overlappingRoute(cidrString(c));
        if (hit) conflicts.push(`${cidrString(c)} overlaps the machine's route ${hit}`);
      }
      const key = `${pool.metadata.namespace}/${pool.metadata.name}`;
      if (conflicts.length === 0) {
        accepted.push(...foreign);
        this.reported.delete(key);
        continue;
      }
      const message = `skiff adds no route for this pool: ${conflicts.join('; ')}; \`curl <EXTERNAL-IP>\` from the machine would not reach the cluster (choose addresses the machine does not route)`;
      if (this.reported.get(key) === message) continue;
      this.reported.set(key, message);
      this.o.log.error(`IPAddressPool ${key}: ${message}`);
      this.recorder.event(pool, 'Warning', 'RouteConflict', message);
    }
    const hosts = [...new Set(this.factory.informerFor<Service & KubeObject>(services).store.list()
      .filter((s) => s.spec?.type === 'LoadBalancer')
      .flatMap((s) => (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? ''))
      .filter((ip) => ip && accepted.some((c) => cidrContains(c, ip))))].sort();
    await this.o.hostnet.setPoolRoutes({ unreachable: accepted.map(cidrString), hosts, previousHosts: this.hosts });
    if (hosts.join() !== this.hosts.join()) this.o.log.info(`LoadBalancer routes via ${this.o.hostnet.plan.hostLink}: ${hosts.join(', ') || 'none'}`);
    this.hosts = hosts;
  }
}
