/**
 * The files the kubelet writes into a pod's directory and mounts into its containers, byte for byte as
 * Kubernetes writes them: /etc/hosts (kubelet_pods.go managedHostsFileContent / nodeHostsFileContent)
 * and /etc/resolv.conf (network/dns/dns.go via dns-config.ts), and the pod's hostname
 * (GeneratePodHostNameAndDomain with truncatePodHostnameIfNeeded).
 */
import fs from 'node:fs';
import type { HostAlias, Pod } from 'kubernetes-types/core/v1.js';

const managedHostsHeader = '# Kubernetes-managed hosts file.\n';
const managedHostsHeaderWithHostNetwork = '# Kubernetes-managed hosts file (host network).\n';
const hostnameMaxLen = 63;

/** truncatePodHostnameIfNeeded: at most 63 characters, no trailing '-' or '.'. */
export function truncateHostname(hostname: string): string {
  if (hostname.length <= hostnameMaxLen) return hostname;
  return hostname.slice(0, hostnameMaxLen).replace(/[-.]+$/, '');
}

/** The pod's hostname and domain (`<subdomain>.<ns>.svc.<clusterDomain>` with a subdomain). */
export function podHostnameAndDomain(pod: Pod, clusterDomain: string): { hostname: string; domain: string } {
  const hostname = truncateHostname(pod.spec?.hostname || pod.metadata?.name || '');
  const sub = pod.spec?.subdomain;
  const domain = sub ? `${sub}.${pod.metadata?.namespace ?? 'default'}.svc.${clusterDomain}` : '';
  return { hostname, domain };
}

/** hostsEntriesFromHostAliases: a blank line, the comment, then one tab-separated line per alias. */
function hostAliasEntries(aliases: HostAlias[] | undefined): string {
  if (!aliases || aliases.length === 0) return '';
  let out = '\n# Entries added by HostAliases.\n';
  for (const a of aliases) out += `${a.ip}\t${(a.hostnames ?? []).join('\t')}\n`;
  return out;
}

/** managedHostsFileContent for a pod with its own network namespace. */
export function managedHostsFile(o: { podIPs: string[]; hostname: string; domain: string; hostAliases?: HostAlias[] }): string {
  let out = managedHostsHeader;
  out += '127.0.0.1\tlocalhost\n';
  out += '::1\tlocalhost ip6-localhost ip6-loopback\n';
  out += 'fe00::0\tip6-localnet\n';
  out += 'fe00::0\tip6-mcastprefix\n';
  out += 'fe00::1\tip6-allnodes\n';
  out += 'fe00::2\tip6-allrouters\n';
  for (const ip of o.podIPs) out += o.domain ? `${ip}\t${o.hostname}.${o.domain}\t${o.hostname}\n` : `${ip}\t${o.hostname}\n`;
  return out + hostAliasEntries(o.hostAliases);
}

/** nodeHostsFileContent for a hostNetwork pod: the node's /etc/hosts under its own header. */
export function nodeHostsFile(o: { nodeHosts: string; hostAliases?: HostAlias[] }): string {
  return managedHostsHeaderWithHostNetwork + o.nodeHosts + hostAliasEntries(o.hostAliases);
}

export function readFileOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}
