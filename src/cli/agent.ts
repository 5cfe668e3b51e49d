/** `skiff agent`: one node as its own process, joined to a server by URL and token (k3s agent). */
import https from 'node:https';
import { resolve } from 'node:path';
import { RestClient } from '../client/rest.js';
import type { SchedulerName } from '../proxy/schedulers/index.js';
import { startNodeAgents } from './agents.js';
import type { Logger } from './logger.js';
import { parseProxyMode, startProxy, type ProxyMode } from './proxy.js';
import { kubeProxyConfigMap, schedulerForConfiguration } from '../proxy/config.js';
import type { KubeObject } from '../api/types.js';
import type { ContainerRuntimeFlag } from './node-runtime.js';
import { chooseNetwork, loopbackFlag, networkLine, type NetworkFlag } from './network.js';

export interface AgentCommandOptions {
  server: string;
  token: string;
  nodeName?: string;
  nodeIp?: string;
  dataDir: string;
  kubeletPort?: number;
  clusterCidr?: string;
  /** Userspace proxy scheduler (--proxy-scheduler). */
  proxyScheduler?: SchedulerName;
  /** --network auto|loopback|netns */
  network?: NetworkFlag;
  /** netns mode: prefix of the pod namespaces' names (skiff-C-nK-). */
  netnsPrefix?: string;
  controlPlane?: boolean;
  /** kubelet --cluster-dns */
  clusterDns?: string;
  /** nftables: the service range whose unallocated addresses are dropped. */
  serviceCidr?: string;
  /** kube-proxy's --proxy-mode */
  proxyMode?: string;
  /** --container-runtime auto|oci|process */
  containerRuntime?: ContainerRuntimeFlag;
  /** --private-registry FILE (k3s' registries.yaml) */
  privateRegistry?: string;
  /** --disable-default-registry-endpoint */
  disableDefaultRegistryEndpoint?: boolean;
}

/** The cluster CA from the server's public `/cacerts` (k3s' bootstrap; the token then authenticates every request). */
export function fetchCACerts(server: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const req = https.get(new URL('/cacerts', server), { rejectUnauthorized: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        if (res.statusCode !== 200 || !body.includes('BEGIN CERTIFICATE')) reject(new Error(`GET ${server}/cacerts: HTTP ${res.statusCode}`));
        else resolvePromise(body);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${server}/cacerts: timed out`)));
    req.on('error', reject);
  });
}

/** The `mode` of ConfigMap kube-system/kube-proxy when it names a kernel mode or ipvs; iptables otherwise. */
async function configuredProxyMode(client: RestClient): Promise<ProxyMode> {
  try {
    const cm = await client.get<KubeObject & { data?: Record<string, string> }>({ group: '', version: 'v1', resource: 'configmaps', namespaced: true }, { namespace: kubeProxyConfigMap.namespace, name: kubeProxyConfigMap.name });
    const mode = schedulerForConfiguration(cm.data?.[kubeProxyConfigMap.key] ?? '', 'random').mode;
    if (mode === 'iptables' || mode === 'nftables' || mode === 'ipvs') return mode;
  } catch {
    /* no ConfigMap yet: the default */
  }
  return 'iptables';
}

export async function runAgent(opts: AgentCommandOptions, log: Logger): Promise<{ stop(): Promise<void> }> {
  const network = await chooseNetwork(opts.network ?? 'auto', { loopbackHint: loopbackFlag([['--node-ip', opts.nodeIp]]) });
  log.info(networkLine(network));
  const caPem = await fetchCACerts(opts.server);
  const running = await startNodeAgents({
    server: opts.server,
    token: opts.token,
    caPem,
    dataDir: resolve(opts.dataDir),
    nodes: 1,
    nodeName: opts.nodeName,
    nodeIP: opts.nodeIp,
    kubeletPort: opts.kubeletPort,
    clusterCidr: opts.clusterCidr,
    controlPlane: opts.controlPlane ?? false,
    network: network.mode,
    netnsPrefix: network.mode === 'netns' ? opts.netnsPrefix : undefined,
    clusterDns: opts.clusterDns,
    containerRuntime: opts.containerRuntime,
    privateRegistry: opts.privateRegistry,
    disableDefaultRegistryEndpoint: opts.disableDefaultRegistryEndpoint,
    log,
  });
  const proxyClient = new RestClient({ server: opts.server, token: opts.token, caData: caPem, userAgent: 'skiff-proxy/v1.32.4' });
  // kube-proxy's mode: --proxy-mode, else the kubeadm ConfigMap's `mode` read once at start, else iptables in
  // netns mode (kube-proxy's default) and userspace in loopback mode
  const mode = opts.proxyMode ? parseProxyMode(opts.proxyMode) : network.mode === 'netns' ? await configuredProxyMode(proxyClient) : 'userspace';
  log.info(`kube-proxy: mode ${mode}`);
  // Loopback: this process's proxy serves only its own node's nodeIP:nodePort; the server's owns the service IPs.
  const proxy = startProxy({
    client: proxyClient, mode, serviceCIDRs: opts.serviceCidr ? [opts.serviceCidr] : undefined,
    nodes: () => running.agents.map((a) => ({ name: a.nodeName, ip: a.nodeIP })),
    // netns mode: each node's proxy serves the ClusterIPs/LB IPs of traffic passing its node (the node netns
    // routes the service CIDR and the pool to itself: hostnet's `local` routes)
    scheduler: opts.proxyScheduler, ownsServiceIPs: network.mode === 'netns', clusterCIDR: opts.clusterCidr, log: (m) => log.debug(m), warn: (m) => log.info(m),
  });
  return {
    async stop() {
      await proxy.stop();
      await running.stop();
    },
  };
}
