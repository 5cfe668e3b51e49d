/**
 * Runs one UserspaceDatapath alone in this process (no API server beside it) for bench/datapath.ts:
 * `node --import tsx bench/datapath-process.ts DATAPATH_MODULE VIP:PORT BACKEND_IP:PORT...`; prints "ready".
 * DATAPATH_MODULE lets a run compare another source tree's datapath (say, the previous commit's) side by side.
 */
import { pathToFileURL } from 'node:url';
import type { Datapath, Endpoint, ServicePortInfo } from '../src/proxy/types.js';

const [modulePath, vip, ...backends] = process.argv.slice(2);
const { UserspaceDatapath } = (await import(pathToFileURL(modulePath!).href)) as { UserspaceDatapath: new (o: object) => Datapath };
const [clusterIP, port] = vip!.split(':');
const info: ServicePortInfo = {
  clusterIP: clusterIP!, port: Number(port), protocol: 'TCP', nodePort: 0, externalIPs: [], loadBalancerIPs: [],
  sessionAffinity: { type: 'None', timeoutSeconds: 10800 }, externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', healthCheckNodePort: 0,
};
const endpoints: Endpoint[] = backends.map((b) => {
  const [ip, p] = b.split(':');
  return { ip: ip!, port: Number(p), ready: true, serving: true, terminating: false, nodeName: 'bench', isLocal: true };
});
const dp = new UserspaceDatapath({ scheduler: 'random' });
const r = await dp.sync({ services: new Map([['default/bench', info]]), endpoints: new Map([['default/bench', endpoints]]), nodeIPs: [] });
if (r.bindErrors.length) throw new Error(JSON.stringify(r.bindErrors));
console.log('ready');
process.once('SIGTERM', () => void dp.close().then(() => process.exit(0)));
