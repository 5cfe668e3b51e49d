/** Names and addresses of one cluster's netns topology (NETNS-CONTRACT.md), computed, never discovered. */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { cidrLast, cidrString, cidrsOverlap, cidrSize, nthIP, parseCIDR, parseIP, summarizeRange, type CIDR } from '../../util/net.js';

export interface TopologySpec {
  /** C: <= 5 chars [a-z0-9]. */
  cluster: string;
  nodes: number;
  nodeCIDR: string;
  clusterCIDR: string;
  serviceCIDR: string;
  /** LoadBalancer pool addresses as --lb-pool takes them (CIDRs or a-b ranges), '' for none. */
  lbPool: string;
}

export interface NodePlan {
  /** 1-based. */
  index: number;
  netns: string;
  /** The bridge port of this node inside the cluster namespace. */
  bridgePort: string;
  ip: string;
}

export interface TopologyPlan {
  spec: TopologySpec;
  clusterNetns: string;
  /** The host end of the veth pair in the root netns (`skf-C`). */
  hostLink: string;
  /** Its peer, enslaved to br0 in the cluster namespace. */
  uplink: string;
  hostIP: string;
  prefixLen: number;
  nodes: NodePlan[];
  /** Every range skiff routes to the cluster (unreachable-covered): node, pod, service, LB pool CIDRs. */
  ranges: string[];
  lbCIDRs: string[];
}

/** Metric of the `unreachable` safety routes: above every real route to the same prefix. */
export const UNREACHABLE_METRIC = 4242;

const clusterNameRe = /^[a-z0-9]{1,5}$/;

export function validateClusterName(name: string): string | undefined {
  return clusterNameRe.test(name) ? undefined : `--cluster-name: "${name}" must be 1 to 5 characters of [a-z0-9] (it names the netns skiff-${name} and the link skf-${name})`;
}

/** The cluster name when --cluster-name is not given: the data dir's name if it fits, else a hash of its path. */
export function defaultClusterName(dataDir: string): string {
  const base = basename(dataDir).replace(/^\./, '').toLowerCase();
  if (clusterNameRe.test(base)) return base;
  return 's' + BigInt('0x' + createHash('sha256').update(dataDir).digest('hex').slice(0, 12)).toString(36).slice(0, 4);
}

function need(flag: string, s: string): CIDR {
  const c = parseCIDR(s);
  if (!c || c.family !== 'IPv4') throw new Error(`${flag}: invalid IPv4 CIDR "${s}"`);
  if ((c.network >> 24n) === 127n) throw new Error(`${flag}: ${s} is in 127.0.0.0/8, which is loopback mode's; netns mode routes its ranges through skiff's interface`);
  return c;
}

/** --lb-pool entries as CIDRs (ranges summarized). */
export function lbPoolCIDRs(pool: string): string[] {
  const out: string[] = [];
  for (const raw of pool.split(',').map((s) => s.trim()).filter(Boolean)) {
    const dash = raw.indexOf('-');
    if (dash < 0) {
      out.push(cidrString(need('--lb-pool', raw)));
      continue;
    }
    const a = parseIP(raw.slice(0, dash).trim());
    const b = parseIP(raw.slice(dash + 1).trim());
    if (!a || !b || a.family !== 'IPv4' || b.family !== 'IPv4' || a.value > b.value) throw new Error(`--lb-pool: invalid range "${raw}"`);
    out.push(...summarizeRange(a, b).map((c) => c.text));
  }
  return out;
}

/** The upper half of the node CIDR: the default LoadBalancer pool in netns mode (10.41.0.0/24 -> 10.41.0.128/25). */
export function upperHalf(nodeCIDR: string): string {
  const c = need('--node-cidr', nodeCIDR);
  if (c.prefix >= 31) throw new Error(`--node-cidr: "${nodeCIDR}" is too small`);
  return `${nthIP(c, cidrSize(c) / 2n)}/${c.prefix + 1}`;
}

export function planTopology(spec: TopologySpec): TopologyPlan {
  const bad = validateClusterName(spec.cluster);
  if (bad) throw new Error(bad);
  const node = need('--node-cidr', spec.nodeCIDR);
  const pods = need('--cluster-cidr', spec.clusterCIDR);
  const svcs = need('--service-cidr', spec.serviceCIDR);
  const lbCIDRs = lbPoolCIDRs(spec.lbPool);
  // node IPs .2 .. .(N+1) must stay below the LB pool (upper half by default) and inside the node CIDR
  const lbStart = lbCIDRs.map((s) => parseCIDR(s)!).filter((c) => cidrsOverlap(c, node)).reduce((m, c) => (c.network < m ? c.network : m), cidrLast(node));
  if (node.network + BigInt(spec.nodes + 1) >= lbStart) throw new Error(`--node-cidr ${spec.nodeCIDR} has no room for ${spec.nodes} node IPs below the LoadBalancer pool`);
  const pairs: [string, CIDR, string, CIDR][] = [['--node-cidr', node, '--cluster-cidr', pods], ['--node-cidr', node, '--service-cidr', svcs], ['--cluster-cidr', pods, '--service-cidr', svcs]];
  for (const lb of lbCIDRs) pairs.push(['--lb-pool', parseCIDR(lb)!, '--cluster-cidr', pods], ['--lb-pool', parseCIDR(lb)!, '--service-cidr', svcs]);
  for (const [fa, a, fb, b] of pairs) if (cidrsOverlap(a, b)) throw new Error(`${fa} ${a.text} overlaps ${fb} ${b.text}`);
  const C = spec.cluster;
  const nodes: NodePlan[] = [];
  for (let k = 1; k <= spec.nodes; k++) nodes.push({ index: k, netns: `skiff-${C}-n${k}`, bridgePort: `n${k}`, ip: nthIP(node, k + 1) });
  return {
    spec,
    clusterNetns: `skiff-${C}`,
    hostLink: `skf-${C}`,
    uplink: 'uplink',
    hostIP: nthIP(node, 1),
    prefixLen: node.prefix,
    nodes,
    ranges: [cidrString(node), cidrString(pods), cidrString(svcs), ...lbCIDRs],
    lbCIDRs,
  };
}

/** Whether a netns name belongs to cluster C (its own, its nodes', their pods'). */
export function ownsNetns(cluster: string, name: string): boolean {
  return name === `skiff-${cluster}` || name.startsWith(`skiff-${cluster}-`);
}

/** What must match for a restarted server to adopt a dead run's topology: names, nodes and ranges. */
export function planKey(p: TopologyPlan): string {
  return JSON.stringify({ ns: p.clusterNetns, link: p.hostLink, host: `${p.hostIP}/${p.prefixLen}`, nodes: p.nodes.map((n) => `${n.netns}=${n.ip}`), ranges: p.ranges });
}
