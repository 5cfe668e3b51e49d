/**
 * Creates and removes one cluster's netns topology with iproute2 (NETNS-CONTRACT.md): the cluster netns
 * with br0, the host veth `skf-C`, one netns per node with eth0, host-gw and host routes, `unreachable`
 * safety routes. A create adopts what a dead run of the same plan left, else removes its leftovers first.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { cidrString, cidrsOverlap, parseCIDR } from '../../util/net.js';
import { ipBatch, must, runCmd, type Runner } from './exec.js';
import { ownsNetns, planKey, UNREACHABLE_METRIC, type TopologyPlan } from './plan.js';

/** What a run made, kept in the data dir so a run after `kill -9` can remove it. */
export interface HostnetState {
  cluster: string;
  pid: number;
  hostLink: string;
  unreachable: string[];
  /** planKey of the run: a restart with the same plan adopts the topology instead of rebuilding it. */
  plan?: string;
  /** `unreachable` routes of user LoadBalancer pools outside skiff's ranges (lb-routes.ts). */
  poolUnreachable?: string[];
}

export interface HostnetOptions {
  plan: TopologyPlan;
  /** `<dataDir>/server/hostnet.json` */
  stateFile: string;
  /** Lock dir shared by every skiff on the machine (one owner per cluster name). */
  lockDir?: string;
  run?: Runner;
  log?: (m: string) => void;
}

const defaultLockDir = '/run/skiff';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readJSON<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

interface Route {
  dst: string;
  dev?: string;
  type?: string;
  metric?: number;
}

export class HostNetwork {
  readonly plan: TopologyPlan;
  private readonly run: Runner;
  private readonly log: (m: string) => void;
  private readonly lockFile: string;

  constructor(private readonly opts: HostnetOptions) {
    this.plan = opts.plan;
    this.run = opts.run ?? runCmd;
    this.log = opts.log ?? (() => {});
    this.lockFile = join(opts.lockDir ?? defaultLockDir, `${opts.plan.spec.cluster}.json`);
  }

  /**
   * Takes the cluster name; adopts what a dead run of the same plan left intact (its node namespaces hold
   * the pods the restarted agents adopt), else removes a dead run's leftovers, refuses overlapping routes and
   * builds everything. Resolves to whether it adopted.
   */
  async create(): Promise<boolean> {
    await this.lock();
    try {
      if (await this.adopt()) return true;
      await this.removeLeftovers();
      await this.checkOverlaps();
      await this.build();
      return false;
    } catch (err) {
      await this.destroy().catch(() => {});
      throw err;
    }
  }

  private async lock(): Promise<void> {
    const C = this.plan.spec.cluster;
    const held = await readJSON<{ pid: number; stateFile: string }>(this.lockFile);
    if (held && held.pid !== process.pid && alive(held.pid)) {
      throw new Error(`cluster name "${C}" is in use by skiff pid ${held.pid} (${dirname(dirname(held.stateFile))}); stop it or pick another --cluster-name`);
    }
    await mkdir(dirname(this.lockFile), { recursive: true });
    await writeFile(this.lockFile, JSON.stringify({ pid: process.pid, stateFile: this.opts.stateFile }));
  }

  /** Everything of this cluster on the machine: netns by name (after killing what runs in them), the host link, the recorded routes. */
  async removeLeftovers(why = 'removing what an earlier run of'): Promise<void> {
    const state = await readJSON<HostnetState>(this.opts.stateFile);
    const C = this.plan.spec.cluster;
    const names = (await must(this.run, 'ip', ['netns', 'list'])).split('\n').map((l) => l.split(' ')[0]!).filter((n) => n && ownsNetns(C, n));
    const links = await this.hostLinkExists();
    if (names.length === 0 && !links && !state) return;
    if (names.length > 0 || links) this.log(`${why} cluster ${C}: ${[...names, ...(links ? [this.plan.hostLink] : [])].join(', ')}`);
    await this.killIn(names);
    // pods and nodes before the cluster namespace (deepest names first)
    const ordered = [...names].sort((a, b) => b.length - a.length);
    await ipBatch(this.run, [...(links ? [`link del ${this.plan.hostLink}`] : []), ...ordered.map((n) => `netns del ${n}`)], { force: true });
    const unreachable = new Set([...(state?.cluster === C ? [...state.unreachable, ...(state.poolUnreachable ?? [])] : [])]);
    await this.delUnreachable([...unreachable]);
    await rm(this.opts.stateFile, { force: true });
  }

  /**
   * A dead run (kill -9) of this plan left its topology: keep the cluster and node namespaces, the bridge,
   * the veths, the pods' namespaces and the `unreachable` routes (never removed, so no packet for a cluster
   * range leaves the machine meanwhile); remove only the namespaces of nodes the plan no longer has, and
   * restore the routes via skf-C.
   */
  private async adopt(): Promise<boolean> {
    const p = this.plan;
    const state = await readJSON<HostnetState>(this.opts.stateFile);
    if (!state || state.cluster !== p.spec.cluster || state.plan !== planKey(p) || (state.pid !== process.pid && alive(state.pid))) return false;
    const names = (await must(this.run, 'ip', ['netns', 'list'])).split('\n').map((l) => l.split(' ')[0]!).filter((n) => n && ownsNetns(p.spec.cluster, n));
    const needed = [p.clusterNetns, ...p.nodes.map((n) => n.netns)];
    if (!needed.every((n) => names.includes(n)) || !(await this.hostLinkExists())) return false;
    const kept = (n: string) => needed.includes(n) || p.nodes.some((x) => n.startsWith(`${x.netns}-`));
    const stale = names.filter((n) => !kept(n));
    await this.killIn(stale);
    await ipBatch(this.run, stale.sort((a, b) => b.length - a.length).map((n) => `netns del ${n}`), { force: true });
    await writeFile(this.opts.stateFile, JSON.stringify({ ...state, pid: process.pid }, null, 2));
    await ipBatch(this.run, [...p.ranges.map((c) => `route replace unreachable ${c} metric ${UNREACHABLE_METRIC}`), `link set ${p.hostLink} up`, ...this.hostRoutes()]);
    this.log(`adopting the netns topology of cluster ${p.spec.cluster} left by skiff pid ${state.pid}: ${needed.join(', ')}${stale.length ? `; removed ${stale.join(', ')}` : ''}`);
    return true;
  }

  /** Routes via the first node for every range but the node CIDR (on the link itself). */
  private hostRoutes(): string[] {
    const first = this.plan.nodes[0];
    return first ? this.plan.ranges.slice(1).map((c) => `route replace ${c} via ${first.ip} dev ${this.plan.hostLink}`) : [];
  }

  /** SIGKILL to every process in these namespaces: a netns with a process in it outlives `ip netns del`, and so do its links. */
  private async killIn(names: string[]): Promise<void> {
    for (const ns of names) {
      const pids = (await this.run('ip', ['netns', 'pids', ns])).stdout.split('\n').map(Number).filter((pid) => pid > 1 && pid !== process.pid);
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  }

  private async hostLinkExists(): Promise<boolean> {
    return (await this.run('ip', ['link', 'show', 'dev', this.plan.hostLink])).code === 0;
  }

  private async delUnreachable(cidrs: string[]): Promise<void> {
    await ipBatch(this.run, cidrs.map((c) => `route del unreachable ${c} metric ${UNREACHABLE_METRIC}`), { force: true });
  }

  private async routes(): Promise<Route[]> {
    return JSON.parse((await must(this.run, 'ip', ['-j', '-4', 'route', 'show', 'table', 'all'])) || '[]') as Route[];
  }

  /**
   * The first route of the machine (default routes aside, and this cluster's own) that `range` overlaps, as
   * `<dst> dev X` / `<dst> unreachable`, or undefined.
   */
  async overlappingRoute(range: string): Promise<string | undefined> {
    const want = parseCIDR(range);
    if (!want) return undefined;
    const state = await readJSON<HostnetState>(this.opts.stateFile);
    const ours = state?.cluster === this.plan.spec.cluster ? [...state.unreachable, ...(state.poolUnreachable ?? [])] : [];
    for (const r of await this.routes()) {
      if (!r.dst || r.dst === 'default' || r.type === 'local' || r.type === 'broadcast' || r.type === 'multicast') continue;
      const dst = parseCIDR(r.dst.includes('/') ? r.dst : `${r.dst}/32`);
      if (!dst || !cidrsOverlap(dst, want)) continue;
      if (r.dev === this.plan.hostLink || (r.type === 'unreachable' && r.metric === UNREACHABLE_METRIC && ours.includes(cidrString(dst)))) continue;
      return `${r.dst} ${r.type === 'unreachable' ? `unreachable${r.metric === UNREACHABLE_METRIC ? ' (another skiff cluster)' : ''}` : `dev ${r.dev ?? '?'}`}`;
    }
    return undefined;
  }

  /** Refuses a range that overlaps a route the machine has (default routes aside; nothing of this cluster is left at this point). */
  async checkOverlaps(): Promise<void> {
    for (const range of this.plan.ranges) {
      const hit = await this.overlappingRoute(range);
      if (hit) throw new Error(`refusing to start in netns mode: ${range} overlaps the machine's route ${hit}; choose other ranges (--node-cidr, --cluster-cidr, --service-cidr, --lb-pool) or --network loopback`);
    }
  }

  /**
   * User LoadBalancer pools outside skiff's ranges (lb-routes.ts): `unreachable` routes for the pools (recorded,
   * so shutdown and a run after kill -9 remove them) and a /32 via the first node for each assigned address.
   */
  async setPoolRoutes(o: { unreachable: string[]; hosts: string[]; previousHosts: string[] }): Promise<void> {
    const p = this.plan;
    const state = await readJSON<HostnetState>(this.opts.stateFile);
    if (!state) return;
    const had = state.poolUnreachable ?? [];
    const first = p.nodes[0];
    // new safety nets first, then the /32 routes, then what is no longer wanted
    await ipBatch(this.run, o.unreachable.filter((c) => !had.includes(c)).map((c) => `route replace unreachable ${c} metric ${UNREACHABLE_METRIC}`));
    await writeFile(this.opts.stateFile, JSON.stringify({ ...state, poolUnreachable: [...new Set([...had, ...o.unreachable])] }, null, 2));
    if (first) await ipBatch(this.run, o.hosts.map((ip) => `route replace ${ip}/32 via ${first.ip} dev ${p.hostLink}`));
    await ipBatch(this.run, o.previousHosts.filter((ip) => !o.hosts.includes(ip)).map((ip) => `route del ${ip}/32 dev ${p.hostLink}`), { force: true });
    const gone = had.filter((c) => !o.unreachable.includes(c));
    await this.delUnreachable(gone);
    if (gone.length) await writeFile(this.opts.stateFile, JSON.stringify({ ...state, poolUnreachable: o.unreachable }, null, 2));
  }

  private async build(): Promise<void> {
    const p = this.plan;
    const state: HostnetState = { cluster: p.spec.cluster, pid: process.pid, hostLink: p.hostLink, unreachable: p.ranges, plan: planKey(p) };
    await mkdir(dirname(this.opts.stateFile), { recursive: true });
    await writeFile(this.opts.stateFile, JSON.stringify(state, null, 2));
    // 1. the safety net before anything can route: no packet for a cluster range leaves the machine
    // 2. namespaces and links; 3. routes via skiff's interface (more specific or lower metric than the safety net)
    const host = [
      ...p.ranges.map((c) => `route add unreachable ${c} metric ${UNREACHABLE_METRIC}`),
      `netns add ${p.clusterNetns}`,
      ...p.nodes.map((n) => `netns add ${n.netns}`),
      `link add ${p.hostLink} type veth peer name ${p.uplink} netns ${p.clusterNetns}`,
      ...p.nodes.map((n) => `link add ${n.bridgePort} netns ${p.clusterNetns} type veth peer name eth0 netns ${n.netns}`),
      `addr add ${p.hostIP}/${p.prefixLen} dev ${p.hostLink}`,
      `link set ${p.hostLink} up`,
    ];
    await ipBatch(this.run, host);
    await ipBatch(this.run, ['link set lo up', 'link add br0 type bridge', 'link set br0 up', `link set ${p.uplink} master br0`, `link set ${p.uplink} up`, ...p.nodes.flatMap((n) => [`link set ${n.bridgePort} master br0`, `link set ${n.bridgePort} up`])], { netns: p.clusterNetns });
    await Promise.all(p.nodes.map(async (n) => {
      // the service CIDR and the LB pool are local to every node: its proxy answers them for traffic passing it
      const local = [p.spec.serviceCIDR, ...p.lbCIDRs].map((c) => `route add local ${c} dev lo`);
      await ipBatch(this.run, ['link set lo up', `addr add ${n.ip}/${p.prefixLen} dev eth0`, 'link set eth0 up', `route add default via ${p.hostIP}`, ...local], { netns: n.netns });
      await must(this.run, 'ip', ['netns', 'exec', n.netns, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1', 'net.bridge.bridge-nf-call-iptables=1']);
      await this.masquerade(n.netns);
    }));
    await ipBatch(this.run, this.hostRoutes());
  }

  /** Pod traffic leaving the cluster is masqueraded by the node (flannel's rule), in skiff's own chain of the node netns. */
  private async masquerade(netns: string): Promise<void> {
    const pods = this.plan.spec.clusterCIDR;
    const rules = `*nat\n:SKIFF-POSTROUTING - [0:0]\n-A POSTROUTING -m comment --comment "skiff: pod traffic leaving the cluster" -j SKIFF-POSTROUTING\n-A SKIFF-POSTROUTING -s ${pods} -d ${pods} -j RETURN\n-A SKIFF-POSTROUTING -s ${pods} ! -d 224.0.0.0/4 -j MASQUERADE --random-fully\nCOMMIT\n`;
    const r = await this.run('ip', ['netns', 'exec', netns, 'iptables-restore', '--noflush'], rules);
    if (r.code === 0) return;
    const nft = `table ip skiff {\n chain postrouting {\n  type nat hook postrouting priority srcnat; policy accept;\n  ip saddr ${pods} ip daddr ${pods} return\n  ip saddr ${pods} ip daddr != 224.0.0.0/4 masquerade random,fully-random\n }\n}\n`;
    await must(this.run, 'ip', ['netns', 'exec', netns, 'nft', '-f', '-'], nft);
  }

  /**
   * host-gw: every node routes each other node's podCIDR via that node's IP, and so does the host (more
   * specific than the cluster-CIDR route via the first node). Idempotent (`route replace`).
   */
  async setPodRoutes(podCIDRs: { nodeIP: string; podCIDR: string }[]): Promise<void> {
    const p = this.plan;
    const known = podCIDRs.filter((x) => p.nodes.some((n) => n.ip === x.nodeIP) && parseCIDR(x.podCIDR));
    await Promise.all([
      ipBatch(this.run, known.map((x) => `route replace ${x.podCIDR} via ${x.nodeIP} dev ${p.hostLink}`)),
      ...p.nodes.map((n) => ipBatch(this.run, known.filter((x) => x.nodeIP !== n.ip).map((x) => `route replace ${x.podCIDR} via ${x.nodeIP} dev eth0`), { netns: n.netns })),
    ]);
  }

  /** Removes every namespace, link and route this cluster made (processes in its namespaces are killed). */
  async destroy(): Promise<void> {
    await this.removeLeftovers('removing the netns topology of');
    const held = await readJSON<{ pid: number }>(this.lockFile);
    if (held && (held.pid === process.pid || !alive(held.pid))) await rm(this.lockFile, { force: true });
  }
}
