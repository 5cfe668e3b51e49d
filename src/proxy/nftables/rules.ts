/**
 * The nftables rules kube-proxy writes (pkg/proxy/nftables/proxier.go): table `ip kube-proxy`, the
 * service-ips / service-nodeports / no-endpoint-* maps, per-service chains with `numgen random mod N vmap`,
 * affinity sets. Pure: state in, `nft -f` statements out.
 */
import { hashName } from '../kernel/exec.js';
import { externalPolicyLocal, internalPolicyLocal, servicePolicy } from '../topology.js';
import { parseServicePortName, type Endpoint, type ProxyState, type ServicePortInfo, type ServicePortName } from '../types.js';

export const table = 'ip kube-proxy';
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
  /** `add element` statements for the shared maps and sets. */
  elements: string[];
}

export interface NftRules {
  services: Map<ServicePortName, ServiceObjects>;
  nodeIPs: string[];
}

export interface NftRuleOptions {
  clusterCIDR?: string;
  masqueradeAll?: boolean;
  /** Per-Service results of earlier builds (the datapath keeps one): unchanged Services are not rebuilt. */
  memo?: Map<ServicePortName, { input: string; objects: ServiceObjects }>;
}

const isV4 = (ip: string) => ip !== '' && ip !== 'None' && !ip.includes(':');

/** The shared maps, sets and base chains (what kube-proxy writes on every full sync). */
export function baseRules(serviceCIDRs: string[]): string[] {
  const t = table;
  const out = [
    `add table ${t} { comment "rules for kube-proxy" ; }`,
    `add set ${t} cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }`,
    `add set ${t} nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }`,
    `add map ${t} firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }`,
    `add map ${t} no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }`,
    `add map ${t} no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }`,
    `add map ${t} service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`,
    `add map ${t} service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }`,
    `add chain ${t} cluster-ips-check`,
    `add chain ${t} filter-prerouting-pre-dnat { type filter hook prerouting priority -110 ; }`,
    `add chain ${t} filter-output-pre-dnat { type filter hook output priority -110 ; }`,
    `add chain ${t} filter-forward { type filter hook forward priority 0 ; }`,
    `add chain ${t} filter-input { type filter hook input priority 0 ; }`,
    `add chain ${t} filter-output { type filter hook output priority 0 ; }`,
    `add chain ${t} firewall-check`,
    `add chain ${t} mark-for-masquerade`,
    `add chain ${t} masquerading`,
    `add chain ${t} nat-output { type nat hook output priority -100 ; }`,
    `add chain ${t} nat-postrouting { type nat hook postrouting priority 100 ; }`,
    `add chain ${t} nat-prerouting { type nat hook prerouting priority -100 ; }`,
    `add chain ${t} nodeport-endpoints-check`,
    `add chain ${t} reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }`,
    `add chain ${t} services`,
    `add chain ${t} service-endpoints-check`,
  ];
  const chains = ['cluster-ips-check', 'filter-prerouting-pre-dnat', 'filter-output-pre-dnat', 'filter-forward', 'filter-input', 'filter-output',
    'firewall-check', 'mark-for-masquerade', 'masquerading', 'nat-output', 'nat-postrouting', 'nat-prerouting', 'nodeport-endpoints-check',
    'reject-chain', 'services', 'service-endpoints-check'];
  out.push(...chains.map((c) => `flush chain ${t} ${c}`));
  out.push(`add rule ${t} cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"`);
  if (serviceCIDRs.length) out.push(`add rule ${t} cluster-ips-check ip daddr { ${serviceCIDRs.join(', ')} } drop comment "Drop traffic to unallocated ClusterIPs"`);
  out.push(
    `add rule ${t} filter-prerouting-pre-dnat ct state new jump firewall-check`,
    `add rule ${t} filter-forward ct state new jump service-endpoints-check`,
    `add rule ${t} filter-forward ct state new jump cluster-ips-check`,
    `add rule ${t} filter-input ct state new jump nodeport-endpoints-check`,
    `add rule ${t} filter-input ct state new jump service-endpoints-check`,
    `add rule ${t} filter-output ct state new jump service-endpoints-check`,
    `add rule ${t} filter-output-pre-dnat ct state new jump firewall-check`,
    `add rule ${t} filter-output ct state new jump cluster-ips-check`,
    `add rule ${t} firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips`,
    `add rule ${t} mark-for-masquerade mark set mark or 0x4000`,
    `add rule ${t} masquerading mark and 0x4000 == 0 return`,
    `add rule ${t} masquerading mark set mark xor 0x4000`,
    `add rule ${t} masquerading masquerade fully-random`,
    `add rule ${t} nat-output jump services`,
    `add rule ${t} nat-postrouting jump masquerading`,
    `add rule ${t} nat-prerouting jump services`,
    `add rule ${t} nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports`,
    `add rule ${t} reject-chain reject`,
    `add rule ${t} services ip daddr . meta l4proto . th dport vmap @service-ips`,
    `add rule ${t} services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports`,
    `add rule ${t} service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services`,
  );
  return out;
}


export function buildNftRules(state: ProxyState, opts: NftRuleOptions = {}): NftRules {
  const services = new Map<ServicePortName, ServiceObjects>();
  for (const spn of [...state.services.keys()].sort()) {
    const svc = state.services.get(spn)!;
    if (!isV4(svc.clusterIP)) continue;
    const eps = (state.endpoints.get(spn) ?? []).filter((e) => isV4(e.ip));
    // kube-proxy's skipServiceUpdate: a Service whose inputs did not change keeps what it had
    const input = opts.memo ? JSON.stringify([svc, eps]) : '';
    const known = opts.memo?.get(spn);
    const objects = known?.input === input ? known.objects : serviceObjects(spn, svc, eps, opts);
    opts.memo?.set(spn, { input, objects });
    services.set(spn, objects);
  }
  if (opts.memo) for (const spn of opts.memo.keys()) if (!services.has(spn)) opts.memo.delete(spn);
  return { services, nodeIPs: state.nodeIPs.filter(isV4) };
}

function serviceObjects(spn: ServicePortName, svc: ServicePortInfo, eps: Endpoint[], opts: NftRuleOptions): ServiceObjects {
  const t = table;
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
  const elements: string[] = [`add element ${t} cluster-ips { ${svc.clusterIP} }`];
  if (hasInternalEndpoints) elements.push(`add element ${t} service-ips { ${svc.clusterIP} . ${protocol} . ${port} : goto ${internalChain} }`);
  else elements.push(`add element ${t} no-endpoint-services { ${svc.clusterIP} . ${protocol} . ${port} ${comment} : ${internalVerdict} }`);
  for (const ip of [...svc.externalIPs, ...svc.loadBalancerIPs].filter(isV4)) {
    if (hasEndpoints) elements.push(`add element ${t} service-ips { ${ip} . ${protocol} . ${port} : goto ${extChain} }`);
    if (!hasExternalEndpoints) elements.push(`add element ${t} no-endpoint-services { ${ip} . ${protocol} . ${port} ${comment} : ${externalVerdict} }`);
  }
  if (svc.nodePort > 0) {
    if (hasEndpoints) elements.push(`add element ${t} service-nodeports { ${protocol} . ${svc.nodePort} : goto ${extChain} }`);
    if (!hasExternalEndpoints) elements.push(`add element ${t} no-endpoint-nodeports { ${protocol} . ${svc.nodePort} ${comment} : ${externalVerdict} }`);
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
