/** `skiff agent`: one node as its own process, joined to a server by URL and token (k3s agent). */
import https from 'node:https';
import { resolve } from 'node:path';
import { RestClient } from '../client/rest.js';
import type { SchedulerName } from '../proxy/schedulers/index.js';
import { startNodeAgents } from './agents.js';
import type { Logger } from './logger.js';
import { startProxy } from './proxy.js';

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
  /** Pod runtime (`--network loopback|netns`; `auto` is resolved by the caller). */
  network?: 'loopback' | 'netns';
  /** netns mode: prefix of this node's pod network namespaces (e.g. `skiff-c1-n1-`). */
  netnsPrefix?: string;
  /** kubelet --cluster-dns (else the kube-dns Service's ClusterIP). */
  clusterDns?: string;
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

export async function runAgent(opts: AgentCommandOptions, log: Logger): Promise<{ stop(): Promise<void> }> {
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
    controlPlane: false,
    log,
    network: opts.network,
    netnsPrefix: opts.netnsPrefix,
    clusterDns: opts.clusterDns,
  });
  // This process's proxy serves only its own node's nodeIP:nodePort; the server's owns the service IPs.
  const proxy = startProxy({
    client: new RestClient({ server: opts.server, token: opts.token, caData: caPem, userAgent: 'skiff-proxy/v1.32.4' }),
    nodes: () => running.agents.map((a) => ({ name: a.nodeName, ip: a.nodeIP })),
    scheduler: opts.proxyScheduler, ownsServiceIPs: false, log: (m) => log.debug(m),
  });
  return {
    async stop() {
      await proxy.stop();
      await running.stop();
    },
  };
}
