/** Starts node agents (kubelets) against an API server: N in-process ones for `skiff server`, one for `skiff agent`. */
import os from 'node:os';
import { join } from 'node:path';
import { startAgent, type RunningAgent } from '../agent/agent.js';
import { createStreamHandlers } from '../agent/streams/handlers.js';
import { RestClient } from '../client/rest.js';
import { realClock } from '../util/clock.js';
import { bigIntToIP, ipToBigInt, isIPv4 } from '../util/net.js';
import type { Logger } from './logger.js';
import { createNodeRuntime, type ContainerRuntimeFlag } from './node-runtime.js';
import { nodeRegistries } from '../agent/images/oci/registries.js';

export const KUBELET_PORT = 10250;

export interface NodeAgentsOptions {
  server: string;
  token: string;
  caPem: string;
  /** The server's (or agent's) data dir: node state goes to `<dataDir>/agent/<node>`, image mappings stay in `<dataDir>/images.yaml`. */
  dataDir: string;
  nodes: number;
  nodeName?: string;
  nodeIP?: string;
  kubeletPort?: number;
  clusterCidr?: string;
  /** The server's first node is a control-plane node, as in k3s. */
  controlPlane: boolean;
  log: Logger;
  /** Pod runtime (`--network`): loopback by default; netns needs `netnsPrefix` (one node per process). */
  network?: 'loopback' | 'netns';
  /** netns mode: prefix of the pod network namespaces (e.g. `skiff-c1-n1-`). */
  netnsPrefix?: string;
  /** `--container-runtime` (auto: oci in netns mode where it can run, else process). */
  containerRuntime?: ContainerRuntimeFlag;
  /** kubelet --cluster-dns (else the kube-dns Service's ClusterIP). */
  clusterDns?: string;
  /** `--private-registry` (k3s' registries.yaml; default `<dataDir>/registries.yaml` where it exists). */
  privateRegistry?: string;
  /** `--disable-default-registry-endpoint`: a mirrored registry is pulled from its mirrors only. */
  disableDefaultRegistryEndpoint?: boolean;
}

/** The host name as a node name (lower case, as kubelet does). */
export function defaultNodeName(): string {
  return os.hostname().toLowerCase();
}

/** Node k of an in-process set: names `X`, `X-2`, …; IPs from `--node-ip` upwards. */
export function nodeIdentity(o: { index: number; nodeName: string; nodeIP: string }): { name: string; ip: string } {
  if (!isIPv4(o.nodeIP)) throw new Error(`--node-ip: invalid IPv4 address "${o.nodeIP}"`);
  return { name: o.index === 0 ? o.nodeName : `${o.nodeName}-${o.index + 1}`, ip: bigIntToIP(ipToBigInt(o.nodeIP) + BigInt(o.index), 'IPv4') };
}

export async function startNodeAgents(opts: NodeAgentsOptions): Promise<{ agents: RunningAgent[]; stop(): Promise<void> }> {
  const agents: RunningAgent[] = [];
  const nodeName = opts.nodeName || defaultNodeName();
  const stopAll = async () => {
    await Promise.all(agents.map((a) => a.stop().catch((err: Error) => opts.log.error(`agent ${a.nodeName}: stop failed: ${err.message}`))));
  };
  const registries = nodeRegistries({ file: opts.privateRegistry, dataDir: opts.dataDir, disableDefaultEndpoint: opts.disableDefaultRegistryEndpoint });
  if (registries.source) opts.log.info(`private registry configuration: ${registries.source}${opts.disableDefaultRegistryEndpoint ? ' (default registry endpoint disabled)' : ''}`);
  try {
    for (let i = 0; i < opts.nodes; i++) {
      const id = nodeIdentity({ index: i, nodeName, nodeIP: opts.nodeIP ?? '127.0.0.1' });
      const client = new RestClient({ server: opts.server, token: opts.token, caData: opts.caPem, userAgent: `kubelet/v1.32.4+skiff (linux) ${id.name}` });
      const log = (m: string) => opts.log.debug(`[${id.name}] ${m}`);
      const dataDir = join(opts.dataDir, 'agent', id.name);
      const runtime = createNodeRuntime({ network: opts.network ?? 'loopback', netnsPrefix: opts.netnsPrefix, dataDir, imagesDataDir: opts.dataDir, containerRuntime: opts.containerRuntime, registries: registries.hosts, log });
      opts.log.info(`node ${id.name}: ${runtime.description.slice(runtime.description.indexOf('container runtime:'))}`);
      const agent = await startAgent({
        runtime,
        ...(opts.clusterDns ? { clusterDNS: [opts.clusterDns] } : {}),
        client,
        nodeName: id.name,
        nodeIP: id.ip,
        kubeletPort: opts.kubeletPort ?? KUBELET_PORT,
        dataDir,
        imagesDir: opts.dataDir,
        isControlPlane: opts.controlPlane && i === 0,
        clock: realClock,
        log,
        token: opts.token,
        streams: createStreamHandlers({ log }),
        clusterCIDR: opts.clusterCidr,
      });
      agents.push(agent);
      opts.log.debug(`node ${id.name} (${id.ip}, kubelet :${agent.kubeletPort}, podCIDR ${agent.podCIDR}) ready`);
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  return { agents, stop: stopAll };
}
