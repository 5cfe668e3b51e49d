/**
 * The iptables rules kube-proxy writes (pkg/proxy/iptables/proxier.go syncProxyRules), as
 * iptables-restore input lines: the chain layout, names, comments and probabilities byte for byte.
 * Pure: state in, lines out; the datapath decides what to send (partial syncs).
 */
import { hashName } from '../kernel/exec.js';
import { sameEndpoints, sameServicePort } from '../kernel/inputs.js';
import { externalPolicyLocal, internalPolicyLocal, servicePolicy } from '../topology.js';
import type { Endpoint, ProxyState, ServicePortInfo, ServicePortName } from '../types.js';

export const masqueradeMark = '0x4000';

/** `KUBE-SVC-` etc. + base32(sha256(servicePortName + protocol))[:16] (portProtoHash). */
export function servicePortChainName(prefix: string, spn: ServicePortName, protocol: string): string {
  return prefix + hashName(spn + protocol.toLowerCase()).slice(0, 16);
}

/** `KUBE-SEP-` + base32(sha256(servicePortName + protocol + "ip:port"))[:16]. */
export function endpointChainName(spn: ServicePortName, protocol: string, endpoint: string): string {
  return 'KUBE-SEP-' + hashName(spn + protocol.toLowerCase() + endpoint).slice(0, 16);
}

/** `fmt.Sprintf("%0.10f", 1.0/float64(n))`; iptables-save prints it back as e.g. 0.33333333349. */
export function probability(n: number): string {
  return (1 / n).toFixed(10);
}

const q = (s: string) => (/[\s"]/.test(s) ? `"${s}"` : s);
const epString = (ep: Endpoint) => `${ep.ip}:${ep.port}`;

/** Chains and rules that belong to one service port (rewritten only when they change). */
export interface ServiceChains {
  chains: string[];
  rules: string[];
}

/** Everything one service port contributes: its own chains, and its lines in the shared chains. */
export interface ServiceRules extends ServiceChains {
  nat: { services: string[]; nodePorts: string[] };
  filter: { services: string[]; external: string[]; nodePorts: string[] };
}

export interface IptablesRules {
  /** filter table: KUBE-SERVICES, KUBE-EXTERNAL-SERVICES, KUBE-NODEPORTS, KUBE-FORWARD, KUBE-PROXY-FIREWALL. */
  filterRules: string[];
  /** nat table rules of the shared chains (KUBE-SERVICES, KUBE-NODEPORTS, KUBE-MARK-MASQ, KUBE-POSTROUTING). */
  natRules: string[];
  /** The same rules per shared chain, in filterChains / natChains order. */
  filterChainRules: Map<string, string[]>;
  natChainRules: Map<string, string[]>;
  services: Map<ServicePortName, ServiceRules>;
}

export const filterChains = ['KUBE-NODEPORTS', 'KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD', 'KUBE-PROXY-FIREWALL'];
export const natChains = ['KUBE-NODEPORTS', 'KUBE-SERVICES', 'KUBE-MARK-MASQ', 'KUBE-POSTROUTING'];
/** Per-service chain prefixes kube-proxy owns (stale ones are deleted on a full sync). */
export const serviceChainPrefixes = ['KUBE-SVC-', 'KUBE-SVL-', 'KUBE-EXT-', 'KUBE-FW-', 'KUBE-SEP-'];

/** The jump rules kube-proxy keeps in the built-in chains (iptablesJumpChains), with their comments. */
export const jumpRules: Array<{ table: 'filter' | 'nat'; from: string; to: string; comment: string; extra: string[] }> = [
  { table: 'filter', to: 'KUBE-EXTERNAL-SERVICES', from: 'INPUT', comment: 'kubernetes externally-visible service portals', extra: ['-m', 'conntrack', '--ctstate', 'NEW'] },
  { table: 'filter', to: 'KUBE-EXTERNAL-SERVICES', from: 'FORWARD', comment: 'kubernetes externally-visible service portals', extra: ['-m', 'conntrack', '--ctstate', 'NEW'] },
  { table: 'filter', to: 'KUBE-NODEPORTS', from: 'INPUT', comment: 'kubernetes health check service ports', extra: [] },
  { table: 'filter', to: 'KUBE-SERVICES', from: 'FORWARD', comment: 'kubernetes service portals', extra: ['-m', 'conntrack', '--ctstate', 'NEW'] },
  { table: 'filter', to: 'KUBE-SERVICES', from: 'OUTPUT', comment: 'kubernetes service portals', extra: ['-m', 'conntrack', '--ctstate', 'NEW'] },
  { table: 'filter', to: 'KUBE-FORWARD', from: 'FORWARD', comment: 'kubernetes forwarding rules', extra: [] },
  { table: 'filter', to: 'KUBE-PROXY-FIREWALL', from: 'INPUT', comment: 'kubernetes load balancer firewall', extra: ['-m', 'conntrack', '--ctstate', 'NEW'] },
  { table: 'filter', to: 'KUBE-PROXY-FIREWALL', from: 'OUTPUT', comment: 'kubernetes load balancer firewall', extra: ['-m', 'conntrack', '--ctstate', 'NEW'] },
  { table: 'filter', to: 'KUBE-PROXY-FIREWALL', from: 'FORWARD', comment: 'kubernetes load balancer firewall', extra: ['-m', 'conntrack', '--ctstate', 'NEW'] },
  { table: 'nat', to: 'KUBE-SERVICES', from: 'OUTPUT', comment: 'kubernetes service portals', extra: [] },
  { table: 'nat', to: 'KUBE-SERVICES', from: 'PREROUTING', comment: 'kubernetes service portals', extra: [] },
  { table: 'nat', to: 'KUBE-POSTROUTING', from: 'POSTROUTING', comment: 'kubernetes postrouting rules', extra: [] },
];

export interface RuleOptions {
  /** The pod CIDR (LocalDetector by cluster CIDR): off-cluster traffic to a ClusterIP is masqueraded. */
  clusterCIDR?: string;
  /** --masquerade-all */
  masqueradeAll?: boolean;
  /**
   * Per-service-port results of earlier builds (the datapath keeps one): a port whose inputs did not change
   * keeps its ServiceRules object (kube-proxy's skipServiceUpdate), so the datapath can tell by identity.
   */
  memo?: Map<ServicePortName, { svc: ServicePortInfo; eps: readonly Endpoint[]; out: ServiceRules }>;
  /** The sorted service port names of the last build, reused while the set is the same (sorting 10,000 names per sync shows). */
  order?: { keys: ServicePortName[] };
}

function sortedNames(state: ProxyState, order?: { keys: ServicePortName[] }): ServicePortName[] {
  if (order && order.keys.length === state.services.size && order.keys.every((k) => state.services.has(k))) return order.keys;
  const keys = [...state.services.keys()].sort();
  if (order) order.keys = keys;
  return keys;
}

const isV4 = (ip: string) => ip !== '' && !ip.includes(':');

/** The whole rule set for `state` (IPv4: kube-proxy runs one proxier per family; this is the v4 one). */
export function buildIptablesRules(state: ProxyState, opts: RuleOptions = {}): IptablesRules {
  const filter = { services: [] as string[], external: [] as string[], nodePorts: [] as string[] };
  const nat = { services: [] as string[], nodePorts: [] as string[] };
  const services = new Map<ServicePortName, ServiceRules>();
  const memo = opts.memo;
  for (const spn of sortedNames(state, opts.order)) {
    const svc = state.services.get(spn)!;
    if (!isV4(svc.clusterIP) || svc.clusterIP === 'None') continue;
    const eps = state.endpoints.get(spn) ?? [];
    const known = memo?.get(spn);
    let out = known && sameServicePort(known.svc, svc) && sameEndpoints(known.eps, eps) ? known.out : undefined;
    if (!out) {
      out = serviceRules(spn, svc, eps.filter((e) => isV4(e.ip)), opts);
      memo?.set(spn, { svc, eps, out });
    }
    services.set(spn, out);
    for (const l of out.nat.services) nat.services.push(l);
    for (const l of out.nat.nodePorts) nat.nodePorts.push(l);
    for (const l of out.filter.services) filter.services.push(l);
    for (const l of out.filter.external) filter.external.push(l);
    for (const l of out.filter.nodePorts) filter.nodePorts.push(l);
  }
  if (memo && memo.size > services.size) for (const spn of memo.keys()) if (!services.has(spn)) memo.delete(spn);

  nat.services.push(line('-A', 'KUBE-SERVICES', '-m', 'comment', '--comment', '"kubernetes service nodeports; NOTE: this must be the last rule in this chain"', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'KUBE-NODEPORTS'));
  const filterChainRules = new Map<string, string[]>([
    ['KUBE-NODEPORTS', filter.nodePorts], ['KUBE-SERVICES', filter.services], ['KUBE-EXTERNAL-SERVICES', filter.external],
    ['KUBE-FORWARD', [
      line('-A', 'KUBE-FORWARD', '-m', 'conntrack', '--ctstate', 'INVALID', '-j', 'DROP'),
      line('-A', 'KUBE-FORWARD', '-m', 'comment', '--comment', '"kubernetes forwarding rules"', '-m', 'mark', '--mark', `${masqueradeMark}/${masqueradeMark}`, '-j', 'ACCEPT'),
      line('-A', 'KUBE-FORWARD', '-m', 'comment', '--comment', '"kubernetes forwarding conntrack rule"', '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'),
    ]],
    ['KUBE-PROXY-FIREWALL', []],
  ]);
  const natChainRules = new Map<string, string[]>([
    ['KUBE-NODEPORTS', nat.nodePorts], ['KUBE-SERVICES', nat.services],
    ['KUBE-MARK-MASQ', [line('-A', 'KUBE-MARK-MASQ', '-j', 'MARK', '--or-mark', masqueradeMark)]],
    ['KUBE-POSTROUTING', [
      line('-A', 'KUBE-POSTROUTING', '-m', 'mark', '!', '--mark', `${masqueradeMark}/${masqueradeMark}`, '-j', 'RETURN'),
      line('-A', 'KUBE-POSTROUTING', '-j', 'MARK', '--xor-mark', masqueradeMark),
      line('-A', 'KUBE-POSTROUTING', '-m', 'comment', '--comment', '"kubernetes service traffic requiring SNAT"', '-j', 'MASQUERADE', '--random-fully'),
    ]],
  ]);
  const filterRules = ([] as string[]).concat(...filterChainRules.values());
  const natRules = ([] as string[]).concat(...natChainRules.values());
  return { filterRules, natRules, filterChainRules, natChainRules, services };
}

/** One service port's rules (syncProxyRules' loop body): its own chains and its lines in the shared chains. */
function serviceRules(spn: ServicePortName, svc: ServicePortInfo, eps: Endpoint[], opts: RuleOptions): ServiceRules {
  const filter = { services: [] as string[], external: [] as string[], nodePorts: [] as string[] };
  const nat = { services: [] as string[], nodePorts: [] as string[] };
  const notLocal = opts.clusterCIDR ? ['!', '-s', opts.clusterCIDR] : undefined;
  const protocol = svc.protocol.toLowerCase();
  const proto = ['-m', protocol, '-p', protocol];
  const svcChain = servicePortChainName('KUBE-SVC-', spn, protocol);
  const svlChain = servicePortChainName('KUBE-SVL-', spn, protocol);
  const extChain = servicePortChainName('KUBE-EXT-', spn, protocol);
  const { cat, hasEndpoints, hasInternalEndpoints, hasExternalEndpoints, usesClusterPolicyChain, usesLocalPolicyChain, usesExternalChain } = servicePolicy(eps, svc);
  const internalChain = internalPolicyLocal(svc) ? svlChain : svcChain;
  const externalPolicyChain = externalPolicyLocal(svc) ? svlChain : svcChain;

  let internalTarget = '';
  let internalComment = '';
  let externalTarget = '';
  let externalComment = '';
  if (!hasEndpoints) {
    internalTarget = externalTarget = 'REJECT';
    internalComment = externalComment = `"${spn} has no endpoints"`;
  } else {
    if (!hasInternalEndpoints) [internalTarget, internalComment] = ['DROP', `"${spn} has no local endpoints"`];
    if (!hasExternalEndpoints) [externalTarget, externalComment] = ['DROP', `"${spn} has no local endpoints"`];
  }
  const port = String(svc.port);

  // ClusterIP
  if (hasInternalEndpoints) {
    nat.services.push(line('-A', 'KUBE-SERVICES', '-m', 'comment', '--comment', `"${spn} cluster IP"`, ...proto, '-d', svc.clusterIP, '--dport', port, '-j', internalChain));
  } else {
    filter.services.push(line('-A', 'KUBE-SERVICES', '-m', 'comment', '--comment', internalComment, ...proto, '-d', svc.clusterIP, '--dport', port, '-j', internalTarget));
  }
  // externalIPs, then LoadBalancer IPs
  for (const [ips, what] of [[svc.externalIPs, 'external IP'], [svc.loadBalancerIPs, 'loadbalancer IP']] as const) {
    for (const ip of ips.filter(isV4)) {
      if (hasEndpoints) nat.services.push(line('-A', 'KUBE-SERVICES', '-m', 'comment', '--comment', `"${spn} ${what}"`, ...proto, '-d', ip, '--dport', port, '-j', extChain));
      if (!hasExternalEndpoints) filter.external.push(line('-A', 'KUBE-EXTERNAL-SERVICES', '-m', 'comment', '--comment', externalComment, ...proto, '-d', ip, '--dport', port, '-j', externalTarget));
    }
  }
  // NodePort
  if (svc.nodePort > 0) {
    if (hasEndpoints) nat.nodePorts.push(line('-A', 'KUBE-NODEPORTS', '-m', 'comment', '--comment', q(spn), ...proto, '--dport', String(svc.nodePort), '-j', extChain));
    if (!hasExternalEndpoints) {
      filter.external.push(line('-A', 'KUBE-EXTERNAL-SERVICES', '-m', 'comment', '--comment', externalComment, '-m', 'addrtype', '--dst-type', 'LOCAL', ...proto, '--dport', String(svc.nodePort), '-j', externalTarget));
    }
  }
  if (svc.healthCheckNodePort > 0) {
    filter.nodePorts.push(line('-A', 'KUBE-NODEPORTS', '-m', 'comment', '--comment', `"${spn} health check node port"`, '-m', 'tcp', '-p', 'tcp', '--dport', String(svc.healthCheckNodePort), '-j', 'ACCEPT'));
  }

  const chains: string[] = [];
  const rules: string[] = [];
  if (usesExternalChain) {
    chains.push(extChain);
    if (!externalPolicyLocal(svc)) {
      rules.push(line('-A', extChain, '-m', 'comment', '--comment', `"masquerade traffic for ${spn} external destinations"`, '-j', 'KUBE-MARK-MASQ'));
    } else {
      if (opts.clusterCIDR && usesClusterPolicyChain) rules.push(line('-A', extChain, '-m', 'comment', '--comment', `"pod traffic for ${spn} external destinations"`, '-s', opts.clusterCIDR, '-j', svcChain));
      rules.push(line('-A', extChain, '-m', 'comment', '--comment', `"masquerade LOCAL traffic for ${spn} external destinations"`, '-m', 'addrtype', '--src-type', 'LOCAL', '-j', 'KUBE-MARK-MASQ'));
      if (usesClusterPolicyChain) rules.push(line('-A', extChain, '-m', 'comment', '--comment', `"route LOCAL traffic for ${spn} external destinations"`, '-m', 'addrtype', '--src-type', 'LOCAL', '-j', svcChain));
    }
    if (hasExternalEndpoints) rules.push(line('-A', extChain, '-j', externalPolicyChain));
  }
  if (usesClusterPolicyChain) {
    chains.push(svcChain);
    const masq = opts.masqueradeAll ? [] : notLocal;
    if (masq) rules.push(line('-A', svcChain, '-m', 'comment', '--comment', `"${spn} cluster IP"`, ...proto, '-d', svc.clusterIP, '--dport', port, ...masq, '-j', 'KUBE-MARK-MASQ'));
    rules.push(...serviceToEndpointRules(spn, svc, svcChain, cat.clusterEndpoints));
  }
  if (usesLocalPolicyChain) {
    chains.push(svlChain);
    rules.push(...serviceToEndpointRules(spn, svc, svlChain, cat.localEndpoints));
  }
  for (const ep of cat.allReachableEndpoints) {
    const sep = endpointChainName(spn, protocol, epString(ep));
    chains.push(sep);
    const args = ['-A', sep, '-m', 'comment', '--comment', q(spn)];
    rules.push(line(...args, '-s', ep.ip, '-j', 'KUBE-MARK-MASQ'));
    const affinity = svc.sessionAffinity.type === 'ClientIP' ? ['-m', 'recent', '--name', sep, '--set'] : [];
    rules.push(line(...args, ...affinity, ...proto, '-j', 'DNAT', '--to-destination', epString(ep)));
  }
  return { chains, rules, nat, filter };
}

/** writeServiceToEndpointRules: affinity checks first, then the statistic ladder. */
function serviceToEndpointRules(spn: ServicePortName, svc: ServicePortInfo, chain: string, eps: Endpoint[]): string[] {
  const protocol = svc.protocol.toLowerCase();
  const out: string[] = [];
  if (svc.sessionAffinity.type === 'ClientIP') {
    for (const ep of eps) {
      const sep = endpointChainName(spn, protocol, epString(ep));
      out.push(line('-A', chain, '-m', 'comment', '--comment', `"${spn} -> ${epString(ep)}"`, '-m', 'recent', '--name', sep, '--rcheck', '--seconds', String(svc.sessionAffinity.timeoutSeconds), '--reap', '-j', sep));
    }
  }
  eps.forEach((ep, i) => {
    const sep = endpointChainName(spn, protocol, epString(ep));
    const stat = i < eps.length - 1 ? ['-m', 'statistic', '--mode', 'random', '--probability', probability(eps.length - i)] : [];
    out.push(line('-A', chain, '-m', 'comment', '--comment', `"${spn} -> ${epString(ep)}"`, ...stat, '-j', sep));
  });
  return out;
}

function line(...words: string[]): string {
  return words.join(' ');
}
