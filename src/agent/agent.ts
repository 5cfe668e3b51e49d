/**
 * One node agent (kubelet): registers the Node, waits for its podCIDR, runs the pod workers and the
 * kubelet API. Everything goes through the API client, so it runs the same in `skiff server` and as
 * `skiff agent`.
 */
import path from 'node:path';
import fs from 'node:fs';
import { EventRecorder } from '../client/events.js';
import type { RestClient } from '../client/rest.js';
import type { Clock } from '../util/clock.js';
import { ImageCatalog } from './images/catalog.js';
import { Kubelet } from './kubelet/kubelet.js';
import { KubeletServer } from './kubelet-server/server.js';
import type { StreamHandlers } from './kubelet-server/types.js';
import { NodeAgent } from './node/node-agent.js';
import type { NodeRuntime } from './runtime/cri.js';

export interface AgentOptions {
  client: RestClient;
  nodeName: string;
  nodeIP: string;
  /** 10250 by default; 0 picks a free port. */
  kubeletPort: number;
  /** This node's state: pods/, images.yaml. */
  dataDir: string;
  isControlPlane: boolean;
  clock: Clock;
  log: (message: string) => void;
  /** The bearer token the kubelet API accepts (the cluster token). */
  token: string;
  streams?: StreamHandlers;
  clusterCIDR?: string;
  podCIDRWaitMs?: number;
  initialBackoffMs?: number;
  /** Where images.yaml (user image mappings) lives; the node's data dir by default. */
  imagesDir?: string;
  /** Pod sandboxes and containers (cli/node-runtime.ts createNodeRuntime picks loopback or netns). */
  runtime: NodeRuntime;
  /** kubelet --cluster-dns; by default the ClusterIP of kube-system/kube-dns. */
  clusterDNS?: string[];
  /** kubelet --cluster-domain; cluster.local by default. */
  clusterDomain?: string;
}

export interface RunningAgent {
  nodeName: string;
  nodeIP: string;
  podCIDR: string;
  kubeletPort: number;
  kubelet: Kubelet;
  /** Stops heartbeats and the kubelet API and kills every pod process (pods stay in the API). */
  stop(): Promise<void>;
}

export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const recorder = new EventRecorder({ client: opts.client, component: 'kubelet', host: opts.nodeName, clock: opts.clock, log: opts.log });
  let kubelet: Kubelet | undefined;
  const runtime = {
    findContainer: (ns: string, pod: string, c?: string) => kubelet?.findContainer(ns, pod, c),
    podIP: (ns: string, pod: string) => kubelet?.podIP(ns, pod),
    containerLog: (o: { namespace: string; pod: string; container: string; previous: boolean }) =>
      kubelet?.containerLog(o) ?? { code: 503, message: 'kubelet is starting' },
  };
  const server = new KubeletServer({ nodeName: opts.nodeName, nodeIP: opts.nodeIP, port: opts.kubeletPort, token: opts.token, runtime, streams: opts.streams, log: opts.log, certDir: path.join(opts.dataDir, 'pki') });
  const kubeletPort = await server.listen();
  const node = new NodeAgent({
    client: opts.client,
    clock: opts.clock,
    recorder,
    log: opts.log,
    nodeName: opts.nodeName,
    nodeIP: opts.nodeIP,
    kubeletPort,
    isControlPlane: opts.isControlPlane,
    dataDir: opts.dataDir,
    clusterCIDR: opts.clusterCIDR,
    podCIDRWaitMs: opts.podCIDRWaitMs,
  });
  try {
    await node.register();
    node.start();
    const { cidr, assigned } = await node.podCIDR();
    if (!assigned) opts.log(`node ${opts.nodeName}: no spec.podCIDR assigned; using ${cidr}`);
    kubelet = new Kubelet({
      client: opts.client,
      nodeName: opts.nodeName,
      nodeIP: opts.nodeIP,
      podCIDR: cidr,
      dataDir: path.resolve(opts.dataDir),
      clock: opts.clock,
      log: opts.log,
      initialBackoffMs: opts.initialBackoffMs,
      catalog: new ImageCatalog({ dataDir: opts.imagesDir ?? opts.dataDir }),
      runtime: opts.runtime,
      ...(opts.clusterDNS ? { clusterDNS: opts.clusterDNS } : {}),
      ...(opts.clusterDomain ? { clusterDomain: opts.clusterDomain } : {}),
    });
    opts.log(`node ${opts.nodeName}: ${opts.runtime.description}`);
    await kubelet.start();
    const k = kubelet;
    return {
      nodeName: opts.nodeName,
      nodeIP: opts.nodeIP,
      podCIDR: cidr,
      kubeletPort,
      kubelet: k,
      async stop() {
        node.stop();
        await k.stop();
        await server.close();
        await Promise.race([recorder.flush(), new Promise((r) => setTimeout(r, 1000))]);
      },
    };
  } catch (err) {
    node.stop();
    await kubelet?.stop();
    await server.close();
    throw err;
  }
}
