// Wiring of the web view (src/ui) and the proxy's /metrics port into `skiff server`, and `skiff ui`.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InformerFactory } from '../client/informer-factory.js';
import { RestClient } from '../client/rest.js';
import type { LocalConnector } from '../client/transport.js';
import type { DnsQueryLogEntry } from '../dns/query-log.js';
import type { IngressRequestEvent } from '../ingress/proxy.js';
import { startProxyMetricsServer, type MeteredDatapath, type ProxyMetricsServer } from '../proxy/metrics.js';
import { loadOrCreateUIToken, loginURL, uiTokenPath } from '../ui/auth.js';
import { NetnsTrafficSource } from '../ui/netns-traffic.js';
import { UIServer } from '../ui/server.js';
import { errorMessage } from '../util/errors.js';
import type { RunningClusterDNS } from './dns.js';
import type { RunningIngress } from './ingress.js';
import type { Logger } from './logger.js';

export const defaultUIPort = 8472;
export const defaultProxyMetricsPort = 10249;
const uiHost = '127.0.0.1';

export interface StartUIOptions {
  dataDir: string;
  port: number;
  server: string;
  token: string;
  caPem: string;
  clusterDomain: string;
  /** The process's shared informers; the web view makes its own without. */
  informers?: InformerFactory;
  /** The API server's in-memory connection, when the view runs in the server's process. */
  local?: LocalConnector;
  /** The server's own proxy; none in netns mode, where each node agent runs kube-proxy (the map still shows). */
  datapath?: MeteredDatapath;
  /** netns mode: the node netns names (first node first); traffic then comes from their conntrack and rules. */
  nodeNetns?: string[];
  dns?: RunningClusterDNS;
  ingress?: RunningIngress;
  log: Logger;
}

export interface RunningUI {
  url: string;
  stop(): Promise<void>;
}

function uiStatePath(dataDir: string): string {
  return join(dataDir, 'server', 'ui.json');
}

/** Starts the web view; a port already taken is a warning, not a failed server. */
export async function startUI(o: StartUIOptions): Promise<RunningUI | undefined> {
  const token = await loadOrCreateUIToken(o.dataDir);
  const client = new RestClient({ server: o.server, token: o.token, caData: o.caPem, local: o.local, userAgent: 'skiff-ui/v1.32.4' });
  const informers = o.informers ?? new InformerFactory({ client, log: (m) => o.log.debug(m) });
  const ui = new UIServer({
    host: uiHost, port: o.port, token, client, informers, ownsInformers: !o.informers, clusterDomain: o.clusterDomain,
    traffic: o.datapath ?? (o.nodeNetns?.length ? new NetnsTrafficSource({ netns: o.nodeNetns, informers, log: (m) => o.log.debug(m) }) : undefined),
    dnsQueryLog: o.dns ? (fn) => void (o.dns!.dns.server.queryLog = fn as ((e: DnsQueryLogEntry) => void) | undefined) : undefined,
    ingressRequests: o.ingress ? (fn) => void (o.ingress!.proxy.onRequest = fn as ((e: IngressRequestEvent) => void) | undefined) : undefined,
    log: (m) => o.log.info(m),
  });
  let port: number;
  try {
    port = await ui.listen();
  } catch (err) {
    o.log.info(`web view not started: cannot listen on ${uiHost}:${o.port}: ${errorMessage(err)} (choose another with --ui-port)`);
    await ui.close().catch(() => undefined);
    return undefined;
  }
  await writeFile(uiStatePath(o.dataDir), JSON.stringify({ host: uiHost, port }) + '\n', { mode: 0o600 });
  return {
    url: loginURL(uiHost, port, token),
    async stop() {
      await ui.close();
      await rm(uiStatePath(o.dataDir), { force: true }); // `skiff ui` then says no web view runs
    },
  };
}

/** kube-proxy's metrics port on the first node's IP; taken → a warning. */
export async function startMetrics(o: { host: string; port: number; datapath: MeteredDatapath; log: Logger }): Promise<ProxyMetricsServer | undefined> {
  try {
    return await startProxyMetricsServer({ host: o.host, port: o.port, datapath: o.datapath });
  } catch (err) {
    o.log.info(`proxy metrics not served: cannot listen on ${o.host}:${o.port}: ${errorMessage(err)}`);
    return undefined;
  }
}

/** `skiff ui`: the login URL of the server that uses this data dir. */
export async function uiLoginURL(dataDir: string): Promise<string> {
  let state: { host: string; port: number };
  try {
    state = JSON.parse(await readFile(uiStatePath(dataDir), 'utf8')) as { host: string; port: number };
  } catch {
    throw new Error(`no web view recorded in ${dataDir} (is skiff server running with this --data-dir, without --disable ui?)`);
  }
  let token: string;
  try {
    token = (await readFile(uiTokenPath(dataDir), 'utf8')).trim();
  } catch {
    throw new Error(`no web view token in ${uiTokenPath(dataDir)}`);
  }
  return loginURL(state.host, state.port, token);
}
