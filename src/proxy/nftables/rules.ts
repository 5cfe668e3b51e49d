/**
 * The nftables rules kube-proxy writes (pkg/proxy/nftables/proxier.go): table `ip kube-proxy`, the
 * service-ips / service-nodeports / no-endpoint-* maps, per-service chains with `numgen random mod N vmap`,
 * affinity sets. Pure: state in, `nft -f` statements out.
 */
import { hashName } from '../kernel/exec.js';
import { externalPolicyLocal, internalPolicyLocal, servicePolicy } from '../topology.js';
import { parseServicePortName, type Endpoint, type ProxyState, type ServicePortInfo, type ServicePortName } from '../types.js';
import { sameEndpoints, sameServicePort } from '../kernel/inputs.js';
import { chainWithRules, declareSharedSet, sharedSets, table, type SetElement } from './statements.js';

export { table } from './statements.js';
const chainNameLengthMax = 240;

/** hash8 + "-" + name, truncated with "..." as kube-proxy's hashAndTruncate. */
export function hashAndTruncate(name: string): string {
  const out = `${hashName(name).slice(0, 8)}-${name}`;
  return out.length > chainNameLengthMax ? out.slice(0, chainNameLengthMax - 3) + '...' : out;
}

export function servicePortChainNameBase(spn: ServicePortName, protocol: string): string {
  const { namespace, name, port } = parseServicePortName(spn);
  return `${namespace}/${name}/${protocol.toLowerCase()}/${port}`;
}

export function endpointChainNameBase(spn: ServicePortName, protocol: string, ip: string, port: number): string {
  return `${servicePortChainNameBase(spn, protocol)}__${ip.replaceAll(':', '.')}/${port}`;
}

export interface ServiceObjects {
  chains: Map<string, string[]>;
  /** Affinity sets: name → definition. */
  sets: Map<string, string>;
  /** Its elements of the shared maps and sets. */
  elements: SetElement[];
}

export interface NftRules {
  services: Map<ServicePortName, ServiceObjects>;
  nodeIPs: string[];
}

/** What a Service was built from, and what it gave. */
export interface ServiceMemo {
  svc: ServicePortInfo;
  eps: Endpoint[];
  objects: ServiceObjects;
}

export interface NftRuleOptions {
  clusterCIDR?: string;
  masqueradeAll?: boolean;
  /** Per-Service results of earlier builds (the datapath keeps one): unchanged Services are not rebuilt. */
  memo?: Map<ServicePortName, ServiceMemo>;
}

const isV4 = (ip: string) => ip !== '' && ip !== 'None' && !ip.includes(':');
const isV4Endpoint = (e: Endpoint) => isV4(e.ip);
const noEndpoints: Endpoint[] = [];

/** The shared maps, sets and base chains (what kube-proxy writes on every full sync); rules inside `add chain`. */
export function baseRules(serviceCIDRs: string[]): string[] {
  const t = table;
  const out = [`add table ${t} { comment "rules for kube-proxy" ; }`, ...[...sharedSets.keys()].map(declareSharedSet)];
  const declarations: Array<[string, string]> = [
    ['cluster-ips-check', ''],
    ['filter-prerouting-pre-dnat', ' { type filter hook prerouting priority -110 ; }'],
    ['filter-output-pre-dnat', ' { type filter hook output priority -110 ; }'],
    ['filter-forward', ' { type filter hook forward priority 0 ; }'],
    ['filter-input', ' { type filter hook input priority 0 ; }'],
    ['filter-output', ' { type filter hook output priority 0 ; }'],
    ['firewall-check', ''],
    ['mark-for-masquerade', ''],
    ['masquerading', ''],
    ['nat-output', ' { type nat hook output priority -100 ; }'],
    ['nat-postrouting', ' { type nat hook postrouting priority 100 ; }'],
    ['nat-prerouting', ' { type nat hook prerouting priority -100 ; }'],
    ['nodeport-endpoints-check', ''],
    ['reject-chain', ' { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }'],
    ['services', ''],
    ['service-endpoints-check', ''],
  ];
  out.push(...declarations.map(([c, spec]) => `add chain ${t} ${c}${spec}`));
  out.push(...declarations.map(([c]) => `flush chain ${t} ${c}`));
  const rules = new Map<string, string[]>();
  const rule = (chain: string, r: string) => rules.set(chain, [...(rules.get(chain) ?? []), r]);
  rule('cluster-ips-check', 'ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"');
  if (serviceCIDRs.length) rule('cluster-ips-check', `ip daddr { ${serviceCIDRs.join(', ')} } drop comment "Drop traffic to unallocated ClusterIPs"`);
  for (const [c, r] of [
    ['filter-prerouting-pre-dnat', 'ct state new jump firewall-check'],
    ['filter-forward', 'ct state new jump service-endpoints-check'],
    ['filter-forward', 'ct state new jump cluster-ips-check'],
    ['filter-input', 'ct state new jump nodeport-endpoints-check'],
    ['filter-input', 'ct state new jump service-endpoints-check'],
    ['filter-output', 'ct state new jump service-endpoints-check'],
    ['filter-output-pre-dnat', 'ct state new jump firewall-check'],
    ['filter-output', 'ct state new jump cluster-ips-check'],
    ['firewall-check', 'ip daddr . meta l4proto . th dport vmap @firewall-ips'],
    ['mark-for-masquerade', 'mark set mark or 0x4000'],
    ['masquerading', 'mark and 0x4000 == 0 return'],
    ['masquerading', 'mark set mark xor 0x4000'],
    ['masquerading', 'masquerade fully-random'],
    ['nat-output', 'jump services'],
    ['nat-postrouting', 'jump masquerading'],
    ['nat-prerouting', 'jump services'],
    ['nodeport-endpoints-check', 'ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports'],
    ['reject-chain', 'reject'],
    ['services', 'ip daddr . meta l4proto . th dport vmap @service-ips'],
    ['services', 'ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports'],
    ['service-endpoints-check', 'ip daddr . meta l4proto . th dport vmap @no-endpoint-services'],
  ] as const) rule(c, r);
  for (const [c, rs] of rules) out.push(chainWithRules(c, rs));
  return out;
}

export function buildNftRules(state: ProxyState, opts: NftRuleOptions = {}): NftRules {
  const services = new Map<ServicePortName, ServiceObjects>();
  for (const spn of [...state.services.keys()].sort()) {
    const svc = state.services.get(spn)!;
    if (!isV4(svc.clusterIP)) continue;
    const all = state.endpoints.get(spn) ?? noEndpoints;
    const eps = all.every(isV4Endpoint) ? all : all.filter(isV4Endpoint);
    // kube-proxy's skipServiceUpdate: a Service whose inputs did not change keeps what it had
    const known = opts.memo?.get(spn);
    const same = known !== undefined && sameServicePort(known.svc, svc) && sameEndpoints(known.eps, eps);
    const objects = same ? known.objects : serviceObjects(spn, svc, eps, opts);
    if (opts.memo && !same) opts.memo.set(spn, { svc, eps, objects });
    services.set(spn, objects);
  }
  if (opts.memo) for (const spn of opts.memo.keys()) if (!services.has(spn)) opts.memo.delete(spn);
  return { services, nodeIPs: state.nodeIPs.filter(isV4) };
}

function serviceObjects(spn: ServicePortName, svc: ServicePortInfo, eps: Endpoint[], opts: NftRuleOptions): ServiceObjects {
  const protocol = svc.protocol.toLowerCase();
  const base = hashAndTruncate(servicePortChainNameBase(spn, protocol));
  const svcChain = `service-${base}`;
  const localChain = `local-${base}`;
  const extChain = `external-${base}`;
  const { cat, hasEndpoints, hasInternalEndpoints, hasExternalEndpoints, usesClusterPolicyChain: usesClusterChain,
    usesLocalPolicyChain: usesLocalChain, usesExternalChain } = servicePolicy(eps, svc);
  const internalChain = internalPolicyLocal(svc) ? localChain : svcChain;
  const externalPolicyChain = externalPolicyLocal(svc) ? localChain : svcChain;
  const internalVerdict = !hasEndpoints ? 'goto reject-chain' : 'drop';
  const externalVerdict = !hasEndpoints ? 'goto reject-chain' : 'drop';
  const comment = `comment "${spn}"`;
  const port = svc.port;

  const chains = new Map<string, string[]>();
  const sets = new Map<string, string>();
  const elements: SetElement[] = [{ set: 'cluster-ips', key: svc.clusterIP, body: svc.clusterIP }];
  const element = (set: string, key: string, rest: string) => elements.push({ set, key, body: `${key}${rest}` });
  if (hasInternalEndpoints) element('service-ips', `${svc.clusterIP} . ${protocol} . ${port}`, ` : goto ${internalChain}`);
  else element('no-endpoint-services', `${svc.clusterIP} . ${protocol} . ${port}`, ` ${comment} : ${internalVerdict}`);
  for (const ip of [...svc.externalIPs, ...svc.loadBalancerIPs].filter(isV4)) {
    if (hasEndpoints) element('service-ips', `${ip} . ${protocol} . ${port}`, ` : goto ${extChain}`);
    if (!hasExternalEndpoints) element('no-endpoint-services', `${ip} . ${protocol} . ${port}`, ` ${comment} : ${externalVerdict}`);
  }
  if (svc.nodePort > 0) {
    if (hasEndpoints) element('service-nodeports', `${protocol} . ${svc.nodePort}`, ` : goto ${extChain}`);
    if (!hasExternalEndpoints) element('no-endpoint-nodeports', `${protocol} . ${svc.nodePort}`, ` ${comment} : ${externalVerdict}`);
  }

  const epNames = (ep: Endpoint) => {
    const b = hashAndTruncate(endpointChainNameBase(spn, protocol, ep.ip, ep.port));
    return { chain: `endpoint-${b}`, set: `affinity-${b}` };
  };
  const affinity = svc.sessionAffinity.type === 'ClientIP';
  const lb = (chain: string, list: Endpoint[]) => {
    const rules: string[] = chains.get(chain) ?? [];
    if (affinity) for (const ep of list) rules.push(`ip saddr @${epNames(ep).set} goto ${epNames(ep).chain}`);
    rules.push(`numgen random mod ${list.length} vmap { ${list.map((ep, i) => `${i} : goto ${epNames(ep).chain}`).join(' , ')} }`);
    chains.set(chain, rules);
  };
  if (usesClusterChain) {
    const masq = opts.masqueradeAll ? [`ip daddr ${svc.clusterIP} jump mark-for-masquerade`]
      : opts.clusterCIDR ? [`ip daddr ${svc.clusterIP} ip saddr != ${opts.clusterCIDR} jump mark-for-masquerade`] : [];
    chains.set(svcChain, masq);
    lb(svcChain, cat.clusterEndpoints);
  }
  if (usesLocalChain) lb(localChain, cat.localEndpoints);
  if (usesExternalChain) {
    const rules: string[] = [];
    if (!externalPolicyLocal(svc)) rules.push('jump mark-for-masquerade');
    else if (usesClusterChain) {
      if (opts.clusterCIDR) rules.push(`ip saddr ${opts.clusterCIDR} goto ${svcChain} comment "short-circuit pod traffic"`);
      rules.push('fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"');
      rules.push(`fib saddr type local goto ${svcChain} comment "short-circuit local traffic"`);
    }
    if (hasExternalEndpoints) rules.push(`goto ${externalPolicyChain}`);
    chains.set(extChain, rules);
  }
  for (const ep of cat.allReachableEndpoints) {
    const n = epNames(ep);
    const rules = [`ip saddr ${ep.ip} jump mark-for-masquerade`];
    if (affinity) {
      sets.set(n.set, `{ type ipv4_addr ; flags dynamic,timeout ; timeout ${svc.sessionAffinity.timeoutSeconds}s ; }`);
      rules.push(`update @${n.set} { ip saddr }`);
    }
    rules.push(`meta l4proto ${protocol} dnat to ${ep.ip}:${ep.port}`);
    chains.set(n.chain, rules);
  }
  return { chains, sets, elements };
}
