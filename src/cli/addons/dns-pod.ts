/**
 * The program of the built-in image `skiff/dns`: skiff's cluster DNS (src/dns) as a pod process, as
 * CoreDNS runs in kube-system/coredns. It listens on port 53 in its pod (0.0.0.0 in a pod netns of its own),
 * answers /health on 8080 and /ready on 8181 as CoreDNS' health and ready plugins, and talks to the API
 * server named by SKIFF_API_SERVER with the token in SKIFF_TOKEN (the server's Secret kube-system/skiff-addons).
 */
import http from 'node:http';
import { InformerFactory } from '../../client/informer-factory.js';
import { ClusterDNS } from '../../dns/cluster-dns.js';
import { listenAddress } from '../../agent/images/listen-address.js';
import { fetchCACerts } from '../agent.js';
import { clusterDNSClient } from '../dns.js';

function env(name: string, fallback?: string): string {
  const v = process.env[name] ?? fallback;
  if (!v) {
    process.stderr.write(`skiff/dns: ${name} is not set\n`);
    process.exit(2);
  }
  return v;
}

const server = env('SKIFF_API_SERVER');
const token = env('SKIFF_TOKEN');
const clusterDomain = env('CLUSTER_DOMAIN', 'cluster.local');
const clusterDNS = env('CLUSTER_DNS');
const podIP = env('POD_IP', '127.0.0.1');
const log = (m: string) => process.stderr.write(`${new Date().toISOString()} ${m}\n`);

let ready = false;
const health = http.createServer((req, res) => {
  const ok = req.url === '/health' || (req.url === '/ready' && ready);
  res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'OK' : 'not ready');
});
const bind = listenAddress(podIP);
const listenHTTP = (port: number) => new Promise<void>((resolve, reject) => {
  const s = http.createServer((req, res) => health.emit('request', req, res));
  s.once('error', reject).listen(port, bind, () => resolve());
});
await listenHTTP(8080);
await listenHTTP(8181);

const caPem = await fetchCACerts(server);
const client = clusterDNSClient({ server, token, caPem });
const informers = new InformerFactory({ client, log });
const dns = new ClusterDNS({ informers, clusterDomain, clusterDNS: [clusterDNS], log });
const [addr] = await dns.start([{ ip: bind, port: 53 }]);
log(`[INFO] skiff/dns: serving ${clusterDomain} on ${addr!.ip}:${addr!.port} (udp, tcp); API ${server}`);
ready = true;
const stop = () => void dns.stop().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
