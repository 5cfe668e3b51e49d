// The pod's resolv.conf as the kubelet computes it (pkg/kubelet/network/dns/dns.go): dnsPolicy
// ClusterFirst / ClusterFirstWithHostNet / Default / None, merged with spec.dnsConfig, within the limits.
import type { Pod, PodDNSConfig } from 'kubernetes-types/core/v1.js';

export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

export interface KubeletDNSSettings {
  /** `--cluster-dns` (kubelet clusterDNS); empty: ClusterFirst falls back to Default with an event. */
  clusterDNS: string[];
  /** `--cluster-domain`. */
  clusterDomain: string;
  /** The host's resolv.conf (kubelet `--resolv-conf`), parsed; undefined when resolvConf is "". */
  host?: ResolvConf;
  /** Node IPs, for Default without a host resolv.conf (localhost of the right family). */
  nodeIPs?: string[];
}

export interface DNSEvent {
  type: 'Warning';
  reason: string;
  message: string;
}

const maxDNSNameservers = 3;
const maxDNSSearchPaths = 32;
const maxDNSSearchListChars = 2048;
const defaultDNSOptions = ['ndots:5'];

/** nameserver / search / domain / options lines; the last search or domain line wins, as in libc. */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const fields = line.split(/\s+/).filter(Boolean);
    if (fields.length === 0) continue;
    const [key, ...rest] = fields;
    if (key === 'nameserver' && rest[0]) out.nameservers.push(rest[0]);
    else if (key === 'domain' && rest[0]) out.searches = [rest[0].replace(/\.$/, '')];
    else if (key === 'search') out.searches = rest.filter((s) => s !== '.').map((s) => s.replace(/\.$/, ''));
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}

function omitDuplicates(list: string[]): string[] {
  return [...new Set(list)];
}

/** mergeDNSOptions: options are keyed by name; the pod's value replaces the existing one. */
function mergeOptions(existing: string[], pod: PodDNSConfig['options']): string[] {
  const merged = new Map<string, string>();
  for (const o of existing) merged.set(o.split(':')[0]!, o);
  for (const o of pod ?? []) {
    if (!o.name) continue;
    merged.set(o.name, o.value !== undefined && o.value !== null ? `${o.name}:${o.value}` : o.name);
  }
  return [...merged.values()];
}

type DNSType = 'cluster' | 'host' | 'none';

function podDNSType(pod: Pod): DNSType {
  switch (pod.spec?.dnsPolicy ?? 'ClusterFirst') {
    case 'ClusterFirstWithHostNet':
      return 'cluster';
    case 'None':
      return 'none';
    case 'Default':
      return 'host';
    default:
      // ClusterFirst: a host-network pod gets the host's DNS
      return pod.spec?.hostNetwork ? 'host' : 'cluster';
  }
}

/** The DNS configuration for the pod, and the events the kubelet would record about it. */
export function podDNSConfig(pod: Pod, settings: KubeletDNSSettings): { config: ResolvConf; events: DNSEvent[] } {
  const events: DNSEvent[] = [];
  let type = podDNSType(pod);
  if (type === 'cluster' && settings.clusterDNS.length === 0) {
    events.push({
      type: 'Warning',
      reason: 'MissingClusterDNS',
      message: `pod: "${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid ?? ''})". kubelet does not have ClusterDNS IP configured and cannot create Pod using "${pod.spec?.dnsPolicy ?? 'ClusterFirst'}" policy. Falling back to "Default" policy.`,
    });
    type = 'host';
  }
  const host = settings.host;
  let config: ResolvConf = { nameservers: [], searches: [], options: [] };
  if (type === 'cluster') {
    const d = settings.clusterDomain;
    const clusterSearch = d ? [`${pod.metadata?.namespace ?? 'default'}.svc.${d}`, `svc.${d}`, d] : [];
    config = { nameservers: [...settings.clusterDNS], searches: omitDuplicates([...clusterSearch, ...(host?.searches ?? [])]), options: [...defaultDNSOptions] };
  } else if (type === 'host') {
    if (host) config = { nameservers: [...host.nameservers], searches: [...host.searches], options: [...host.options] };
    else {
      const ips = settings.nodeIPs ?? [];
      const servers = ips.map((ip) => (ip.includes(':') ? '::1' : '127.0.0.1'));
      config = { nameservers: servers.length ? servers : ['127.0.0.1'], searches: ['.'], options: [] };
    }
  }
  const dc = pod.spec?.dnsConfig;
  if (dc) {
    config = {
      nameservers: omitDuplicates([...config.nameservers, ...(dc.nameservers ?? [])]),
      searches: omitDuplicates([...config.searches, ...(dc.searches ?? [])]),
      options: mergeOptions(config.options, dc.options),
    };
  }
  return { config: fitLimits(config, events), events };
}

/** formDNSConfigFitsLimits: at most 3 nameservers, 32 search paths and 2048 search characters. */
function fitLimits(config: ResolvConf, events: DNSEvent[]): ResolvConf {
  let { nameservers, searches } = config;
  if (nameservers.length > maxDNSNameservers) {
    nameservers = nameservers.slice(0, maxDNSNameservers);
    events.push({ type: 'Warning', reason: 'DNSConfigForming', message: `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${nameservers.join(' ')}` });
  }
  let trimmed = false;
  if (searches.length > maxDNSSearchPaths) {
    searches = searches.slice(0, maxDNSSearchPaths);
    trimmed = true;
  }
  while (searches.join(' ').length > maxDNSSearchListChars) {
    searches = searches.slice(0, -1);
    trimmed = true;
  }
  if (trimmed) events.push({ type: 'Warning', reason: 'DNSConfigForming', message: `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${searches.join(' ')}` });
  return { nameservers, searches, options: config.options };
}

/** The file as containerd writes it: search, nameserver lines, options. */
export function formatResolvConf(config: ResolvConf): string {
  let out = '';
  if (config.searches.length) out += `search ${config.searches.join(' ')}\n`;
  for (const ns of config.nameservers) out += `nameserver ${ns}\n`;
  if (config.options.length) out += `options ${config.options.join(' ')}\n`;
  return out;
}
