/**
 * `skiff server` in netns mode: the host topology (src/agent/hostnet), the API server on the host end IP,
 * one supervised `skiff agent --network netns` per node inside its node netns, host-gw pod routes as nodes
 * get their podCIDRs, routes for LoadBalancer addresses outside skiff's ranges (lb-routes.ts), and
 * --port-mapping forwarders onto 127.0.0.1. Everything is removed on stop.
 */
import { join } from 'node:path';
import { HostNetwork } from '../agent/hostnet/topology.js';
import { defaultClusterName, planTopology, upperHalf, type TopologyPlan } from '../agent/hostnet/plan.js';
import type { RestClient } from '../client/rest.js';
import type { KubeObject } from '../api/types.js';
import { nodeIdentity, defaultNodeName } from './agents.js';
import type { Logger } from './logger.js';
import { netnsDefaults } from './network.js';
import { LoadBalancerRoutes } from './lb-routes.js';
import { NodeSupervisor, type SupervisedNode } from './node-supervisor.js';
import { startForwarder, type PortMapping, type RunningForwarder } from './port-forwarder.js';

export interface NetnsAddresses {
  clusterCidr: string;
  serviceCidr: string;
  nodeCidr: string;
  lbPool: string;
  clusterName: string;
}

/** netns-mode defaults for whatever the flags leave out. */
export function netnsAddresses(o: { clusterCidr?: string; serviceCidr?: string; nodeCidr?: string; lbPool?: string; clusterName?: string; dataDir: string }): NetnsAddresses {
  const nodeCidr = o.nodeCidr ?? netnsDefaults.nodeCidr;
  return {
    clusterCidr: o.clusterCidr ?? netnsDefaults.clusterCidr,
    serviceCidr: o.serviceCidr ?? netnsDefaults.serviceCidr,
    nodeCidr,
    lbPool: o.lbPool ?? upperHalf(nodeCidr),
    clusterName: o.clusterName ?? defaultClusterName(o.dataDir),
  };
}

export interface NetnsHost {
  plan: TopologyPlan;
  hostIP: string;
  stop(): Promise<void>;
}

/** Builds the topology, or adopts the one a killed run of the same plan left (its pods go on running). */
export async function startNetnsHost(o: { addresses: NetnsAddresses; nodes: number; dataDir: string; log: Logger }): Promise<NetnsHost & { hostnet: HostNetwork }> {
  const a = o.addresses;
  const plan = planTopology({ cluster: a.clusterName, nodes: o.nodes, nodeCIDR: a.nodeCidr, clusterCIDR: a.clusterCidr, serviceCIDR: a.serviceCidr, lbPool: a.lbPool });
  const hostnet = new HostNetwork({ plan, stateFile: join(o.dataDir, 'server', 'hostnet.json'), log: (m) => o.log.info(m) });
  const t0 = Date.now();
  const adopted = await hostnet.create();
  o.log.info(`netns topology of cluster ${a.clusterName} ${adopted ? 'adopted' : 'ready'} in ${Date.now() - t0} ms: ${plan.hostLink} ${plan.hostIP}/${plan.prefixLen}, nodes ${plan.nodes.map((n) => `${n.netns}=${n.ip}`).join(' ')}`);
  return { plan, hostIP: plan.hostIP, hostnet, stop: () => hostnet.destroy() };
}

export interface NetnsNodesOptions {
  host: NetnsHost & { hostnet: HostNetwork };
  /** The API server's local port (127.0.0.1 or --bind-address). */
  apiHost: string;
  apiPort: number;
  token: string;
  client: RestClient;
  dataDir: string;
  nodeName?: string;
  kubeletPort?: number;
  clusterCidr: string;
  clusterDns: string;
  serviceCidr: string;
  proxyScheduler?: string;
  proxyMode?: string;
  containerRuntime?: string;
  privateRegistry?: string;
  disableDefaultRegistryEndpoint?: boolean;
  portMappings: PortMapping[];
  verbose: boolean;
  log: Logger;
}

/** The API on hostIP:port, the node agents, pod routes, port mappings. */
export async function startNetnsNodes(o: NetnsNodesOptions): Promise<{ nodeIPs: string[]; stop(): Promise<void> }> {
  const forwarders: RunningForwarder[] = [];
  const plan = o.host.plan;
  let supervisor: NodeSupervisor | undefined;
  let lbRoutes: LoadBalancerRoutes | undefined;
  const stop = async () => {
    await lbRoutes?.stop();
    await supervisor?.stop();
    await Promise.all(forwarders.map((f) => f.close()));
  };
  try {
    if (o.apiHost !== '0.0.0.0') forwarders.push(await startForwarder({ listenHost: plan.hostIP, listenPort: o.apiPort, targetHost: o.apiHost, targetPort: o.apiPort }));
    const server = `https://${plan.hostIP}:${o.apiPort}`;
    const baseName = o.nodeName || defaultNodeName();
    const nodes: SupervisedNode[] = plan.nodes.map((n, i) => {
      const name = nodeIdentity({ index: i, nodeName: baseName, nodeIP: n.ip }).name;
      const args = [process.argv[1]!, 'agent', '--network', 'netns', '--server', server, '--token', o.token, '--node-name', name, '--node-ip', n.ip,
        '--data-dir', o.dataDir, '--kubelet-port', String(o.kubeletPort ?? 10250), '--cluster-cidr', o.clusterCidr, '--cluster-dns', o.clusterDns, '--service-cidr', o.serviceCidr, '--netns-prefix', `${n.netns}-`];
      if (i === 0) args.push('--control-plane');
      if (o.proxyScheduler) args.push('--proxy-scheduler', o.proxyScheduler);
      if (o.proxyMode) args.push('--proxy-mode', o.proxyMode);
      if (o.containerRuntime) args.push('--container-runtime', o.containerRuntime);
      if (o.privateRegistry) args.push('--private-registry', o.privateRegistry);
      if (o.disableDefaultRegistryEndpoint) args.push('--disable-default-registry-endpoint');
      if (o.verbose) args.push('--debug');
      return { name, netns: n.netns, args };
    });
    const syncRoutes = async () => {
      const list = await o.client.list<KubeObject & { spec?: { podCIDR?: string }; status?: { addresses?: { type: string; address: string }[] } }>({ group: '', version: 'v1', resource: 'nodes', namespaced: false });
      const cidrs = list.items.flatMap((n) => {
        const ip = n.status?.addresses?.find((x) => x.type === 'InternalIP')?.address;
        return ip && n.spec?.podCIDR ? [{ nodeIP: ip, podCIDR: n.spec.podCIDR }] : [];
      });
      await o.host.hostnet.setPodRoutes(cidrs);
      o.log.debug(`pod routes (host-gw): ${cidrs.map((c) => `${c.podCIDR} via ${c.nodeIP}`).join(', ')}`);
    };
    supervisor = new NodeSupervisor({ nodes, log: o.log, recordFile: join(o.dataDir, 'server', 'agents.json'), onReady: () => void syncRoutes().catch((err: Error) => o.log.error(`pod routes: ${err.message}`)) });
    await supervisor.start();
    await syncRoutes();
    lbRoutes = new LoadBalancerRoutes({ client: o.client, hostnet: o.host.hostnet, log: o.log });
    lbRoutes.start();
    const first = plan.nodes[0];
    for (const m of o.portMappings) {
      if (!first) throw new Error('--port-mapping needs at least one node');
      forwarders.push(await startForwarder({ listenHost: '127.0.0.1', listenPort: m.hostPort, targetHost: first.ip, targetPort: m.nodePort }));
      o.log.info(`port mapping: 127.0.0.1:${m.hostPort} -> ${first.ip}:${m.nodePort}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodeIPs: plan.nodes.map((n) => n.ip), stop };
}
