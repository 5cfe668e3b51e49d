/**
 * kube-proxy's metrics: a datapath wrapper that times every sync (kubeproxy_sync_proxy_rules_* as
 * pkg/proxy/metrics names them) and the Prometheus text exposition of those plus the per-endpoint
 * connection counters (as IPVS' real-server stats), served on the metrics port (kube-proxy: 10249).
 */
import { createServer, type Server } from 'node:http';
import type { Clock } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { isObservableDatapath, type ConnectionObserver, type DatapathRules, type ObservableDatapath } from './observe.js';
import type { Datapath, EndpointStats, ProxyState, SyncResult } from './types.js';
import { joinHostPort } from '../util/net.js';

/** pkg/proxy/metrics: metrics.ExponentialBuckets(0.001, 2, 15). */
const durationBuckets = Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i);

export class SyncMetrics {
  readonly bucketCounts = new Array<number>(durationBuckets.length).fill(0);
  count = 0;
  sum = 0;
  /** Seconds since the epoch of the last successful sync (0: none yet). */
  lastTimestamp = 0;
  failures = 0;

  observe(seconds: number, at: number): void {
    this.count++;
    this.sum += seconds;
    for (let i = 0; i < durationBuckets.length; i++) if (seconds <= durationBuckets[i]!) this.bucketCounts[i]!++;
    this.lastTimestamp = at / 1000;
  }
}

/** Wraps a datapath: sync() timed into SyncMetrics; observer and rules passed through when the inner one has them. */
export class MeteredDatapath implements Datapath, ObservableDatapath {
  readonly metrics = new SyncMetrics();
  private readonly clock: Clock;

  constructor(readonly inner: Datapath, clock: Clock = realClock) {
    this.clock = clock;
  }

  async sync(state: ProxyState): Promise<SyncResult> {
    const start = performance.now();
    try {
      const result = await this.inner.sync(state);
      this.metrics.observe((performance.now() - start) / 1000, this.clock.now());
      return result;
    } catch (err) {
      this.metrics.failures++;
      throw err;
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  stats(): EndpointStats[] {
    return this.inner.stats();
  }

  setObserver(observer: ConnectionObserver | undefined): void {
    if (isObservableDatapath(this.inner)) this.inner.setObserver(observer);
  }

  rules(): DatapathRules {
    return isObservableDatapath(this.inner) ? this.inner.rules() : { mode: 'unknown', scheduler: '', listeners: [] };
  }
}

function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function fmt(n: number): string {
  return String(Number.isInteger(n) ? n : Number(n.toFixed(9)));
}

/** The Prometheus text format (version 0.0.4) of the sync metrics and every endpoint's counters. */
export function renderMetrics(m: SyncMetrics, stats: EndpointStats[]): string {
  const out: string[] = [];
  const head = (name: string, type: string, help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  head('kubeproxy_sync_proxy_rules_duration_seconds', 'histogram', '[ALPHA] SyncProxyRules latency in seconds');
  durationBuckets.forEach((b, i) => out.push(`kubeproxy_sync_proxy_rules_duration_seconds_bucket{le="${fmt(b)}"} ${m.bucketCounts[i]}`));
  out.push(`kubeproxy_sync_proxy_rules_duration_seconds_bucket{le="+Inf"} ${m.count}`);
  out.push(`kubeproxy_sync_proxy_rules_duration_seconds_sum ${fmt(m.sum)}`, `kubeproxy_sync_proxy_rules_duration_seconds_count ${m.count}`);
  head('kubeproxy_sync_proxy_rules_last_timestamp_seconds', 'gauge', '[ALPHA] The last time proxy rules were successfully synced');
  out.push(`kubeproxy_sync_proxy_rules_last_timestamp_seconds ${fmt(m.lastTimestamp)}`);
  head('skiff_proxy_sync_proxy_rules_failures_total', 'counter', 'Syncs the datapath could not apply');
  out.push(`skiff_proxy_sync_proxy_rules_failures_total ${m.failures}`);
  const series: Array<[string, string, string, (s: EndpointStats) => number]> = [
    ['skiff_proxy_endpoint_connections_total', 'counter', 'Connections (UDP: flows) proxied to the endpoint', (s) => s.totalConnections],
    ['skiff_proxy_endpoint_active_connections', 'gauge', 'Connections (UDP: flows) open to the endpoint now', (s) => s.activeConnections],
    ['skiff_proxy_endpoint_in_bytes_total', 'counter', 'Bytes from clients to the endpoint', (s) => s.bytesIn],
    ['skiff_proxy_endpoint_out_bytes_total', 'counter', 'Bytes from the endpoint to clients', (s) => s.bytesOut],
  ];
  for (const [name, type, help, value] of series) {
    head(name, type, help);
    for (const s of stats) {
      out.push(`${name}{service_port_name="${label(s.servicePortName)}",protocol="${s.protocol}",endpoint="${label(endpointKey(s))}"} ${value(s)}`);
    }
  }
  return out.join('\n') + '\n';
}

export function endpointKey(s: Pick<EndpointStats, 'ip' | 'port'>): string {
  return joinHostPort(s.ip, s.port);
}

export interface ProxyMetricsServer {
  port: number;
  close(): Promise<void>;
}

/** kube-proxy's --metrics-bind-address: GET /metrics; everything else 404. */
export async function startProxyMetricsServer(opts: { host: string; port: number; datapath: MeteredDatapath }): Promise<ProxyMetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    const body = renderMetrics(opts.datapath.metrics, opts.datapath.stats());
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : opts.port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
