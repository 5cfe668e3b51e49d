import http from 'node:http';
import { bindOnce } from './listener.js';

export interface HealthCheckTarget {
  namespace: string;
  name: string;
  /** Local ready endpoints of the Service (unique IPs over its ports). */
  localEndpoints(): number;
}

/**
 * The body kube-proxy writes (pkg/proxy/healthcheck/service_health.go): a dedented Go template,
 * tab-indented, with no trailing newline.
 */
export function healthCheckBody(t: { namespace: string; name: string }, count: number, healthy: boolean): string {
  return [
    '{',
    '\t"service": {',
    `\t\t"namespace": ${JSON.stringify(t.namespace)},`,
    `\t\t"name": ${JSON.stringify(t.name)}`,
    '\t},',
    `\t"localEndpoints": ${count},`,
    `\t"serviceProxyHealthy": ${healthy}`,
    '}',
  ].join('\n');
}

/**
 * The healthCheckNodePort server of an externalTrafficPolicy=Local Service: any path answers 200
 * when this node has local endpoints and the proxy is healthy, 503 otherwise, so that load balancers
 * only send to nodes that can serve.
 */
export class HealthCheckServer {
  private readonly server: http.Server;

  constructor(
    readonly address: string,
    readonly port: number,
    public target: HealthCheckTarget,
    private readonly proxyHealthy: () => boolean,
  ) {
    this.server = http.createServer((req, res) => {
      const count = this.target.localEndpoints();
      const healthy = this.proxyHealthy();
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('X-Load-Balancing-Endpoint-Weight', String(count));
      res.statusCode = count !== 0 && healthy ? 200 : 503;
      res.end(healthCheckBody(this.target, count, healthy));
    });
    this.server.keepAliveTimeout = 5000;
  }

  listen(): Promise<void> {
    return bindOnce(this.server, (bound) => this.server.listen({ host: this.address, port: this.port, exclusive: true }, bound));
  }

  close(): void {
    this.server.close();
    this.server.closeAllConnections();
  }
}
