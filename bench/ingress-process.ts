/**
 * Runs the ingress proxy alone in this process (no API server beside it) for bench/datapath.ts:
 * `node --import tsx bench/ingress-process.ts SRC_DIR LISTEN_IP HOST BACKEND_IP:PORT...`; prints "ready PORT".
 * SRC_DIR lets a run compare another source tree's ingress (say, the previous commit's) side by side.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Ingress } from 'kubernetes-types/networking/v1.js';
import type * as Listeners from '../src/ingress/listeners.js';
import type * as Proxy from '../src/ingress/proxy.js';
import type * as Routing from '../src/ingress/routing-table.js';

const [src, listenIP, host, ...backends] = process.argv.slice(2);
const load = async <T>(p: string) => (await import(pathToFileURL(join(src!, p)).href)) as T;
const { startListeners, fallbackCertificate } = await load<typeof Listeners>('ingress/listeners.ts');
const { IngressProxy } = await load<typeof Proxy>('ingress/proxy.ts');
const { buildRoutingTable } = await load<typeof Routing>('ingress/routing-table.ts');
const { buildTlsTable, CertificateCache } = await load<typeof import('../src/ingress/tls.js')>('ingress/tls.ts');

const svc: Service = { metadata: { namespace: 'default', name: 'echo' }, spec: { ports: [{ name: 'http', port: 80, targetPort: 'http' }] } };
// One slice per backend: the ingress dials pod IP:port, so each slice stands in for one pod.
const slices: EndpointSlice[] = backends.map((b, i) => {
  const [ip, port] = b.split(':');
  return { addressType: 'IPv4', metadata: { namespace: 'default', name: `echo-${i}` }, endpoints: [{ addresses: [ip!] }], ports: [{ name: 'http', port: Number(port) }] };
});
const ing: Ingress = {
  metadata: { namespace: 'default', name: 'bench', creationTimestamp: '2024-01-01T00:00:00Z' },
  spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'echo', port: { number: 80 } } } }] } }] },
};
const table = buildRoutingTable([ing], { service: () => svc, endpointSlices: () => slices });
const tls = buildTlsTable([ing], () => undefined, new CertificateCache());
const proxy = new IngressProxy({ table: () => table, log: () => {} });
const listeners = await startListeners({ listen: { host: listenIP! }, proxy, tls: () => tls, fallback: await fallbackCertificate() });
console.log(`ready ${listeners.httpPort}`);
process.once('SIGTERM', () => void listeners.close().then(() => process.exit(0)));
