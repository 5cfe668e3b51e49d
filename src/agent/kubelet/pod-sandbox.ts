/**
 * A pod's sandbox as the kubelet sets it up (kuberuntime createPodSandbox + makeMounts): RunPodSandbox
 * through the node runtime, then the pod's /etc/hosts, /etc/resolv.conf and /etc/hostname in the pod
 * directory, handed to every container as CRI mounts. Without a mount namespace the resolver's search
 * path and options go into LOCALDOMAIN / RES_OPTIONS and a Warning event says what could not be done.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { formatResolvConf, podDNSConfig } from '../dns-config.js';
import type { Mount, PodSandbox } from '../runtime/cri.js';
import type { KubeletContext } from './context.js';
import { managedHostsFile, nodeHostsFile, podHostnameAndDomain } from './pod-files.js';

export interface PodSandboxSetup {
  sandbox: PodSandbox;
  mounts: Mount[];
  /** LOCALDOMAIN / RES_OPTIONS when containers cannot have the pod's resolv.conf. */
  dnsEnv: Record<string, string>;
}

export async function setUpPodSandbox(o: {
  pod: Pod;
  dir: string;
  ctx: KubeletContext;
  /** Containers are adopted from a previous run: keep the sandbox it left. */
  adopt?: boolean;
  event: (type: 'Normal' | 'Warning', reason: string, message: string) => void;
}): Promise<PodSandboxSetup> {
  const { pod, dir, ctx } = o;
  fs.mkdirSync(dir, { recursive: true });
  const spec: NonNullable<Pod['spec']> = pod.spec ?? { containers: [] };
  const settings = ctx.dnsSettings();
  const { hostname, domain } = podHostnameAndDomain(pod, settings.clusterDomain);
  const sandbox = await ctx.runtime.sandboxes.runPodSandbox({
    uid: pod.metadata!.uid!,
    namespace: pod.metadata!.namespace!,
    name: pod.metadata!.name!,
    hostname,
    hostNetwork: spec.hostNetwork ?? false,
    hostPID: spec.hostPID ?? false,
    ...(pod.status?.podIP ? { priorIP: pod.status.podIP } : {}),
    ...(o.adopt ? { adopt: true } : {}),
  });
  const dns = podDNSConfig(pod, settings);
  for (const e of dns.events) o.event(e.type, e.reason, e.message);
  const hostsPath = path.join(dir, 'etc-hosts');
  const resolvPath = path.join(dir, 'resolv.conf');
  const hosts = spec.hostNetwork
    ? nodeHostsFile({ nodeHosts: ctx.nodeHosts(), hostAliases: spec.hostAliases })
    : managedHostsFile({ podIPs: [sandbox.ip], hostname, domain, hostAliases: spec.hostAliases });
  fs.writeFileSync(hostsPath, hosts);
  fs.writeFileSync(resolvPath, formatResolvConf(dns.config));
  const mounts: Mount[] = [
    { containerPath: '/etc/hosts', hostPath: hostsPath, readOnly: false },
    { containerPath: '/etc/resolv.conf', hostPath: resolvPath, readOnly: false },
  ];
  if (!spec.hostNetwork && fs.existsSync('/etc/hostname')) {
    // as containerd writes the sandbox's hostname file
    const hostnamePath = path.join(dir, 'hostname');
    fs.writeFileSync(hostnamePath, `${hostname}\n`);
    mounts.push({ containerPath: '/etc/hostname', hostPath: hostnamePath, readOnly: false });
  }
  const dnsEnv: Record<string, string> = {};
  const iso = ctx.runtime.containers.isolation;
  if (!iso.mounts) {
    // glibc's resolver reads these instead of the search/options lines of resolv.conf
    if (dns.config.searches.length) dnsEnv['LOCALDOMAIN'] = dns.config.searches.join(' ');
    if (dns.config.options.length) dnsEnv['RES_OPTIONS'] = dns.config.options.join(' ');
    const env = Object.entries(dnsEnv).map(([k, v]) => `${k}="${v}"`).join(' ');
    o.event(
      'Warning',
      'PodIsolationUnavailable',
      `Containers share the node's mount and UTS namespaces (${iso.reason ?? 'no namespaces'}): /etc/resolv.conf, /etc/hosts and the hostname are the node's, volumes are not mounted at their mountPath${env ? `; set ${env} instead` : ''}`,
    );
  }
  return { sandbox, mounts, dnsEnv };
}
