/**
 * The program of the built-in image `skiff/ingress`: skiff's ingress controller (src/ingress) as a pod
 * process. It listens on the pod IP's ports 80 and 443 and keeps the selectorless LoadBalancer Service
 * kube-system/skiff-ingress and its EndpointSlice pointing there (the controller's own exposure logic).
 */
import { RestClient } from '../../client/rest.js';
import { fetchCACerts } from '../agent.js';
import { startIngressController } from '../ingress.js';

const server = process.env.SKIFF_API_SERVER;
const token = process.env.SKIFF_TOKEN;
const podIP = process.env.POD_IP;
if (!server || !token || !podIP) {
  process.stderr.write('skiff/ingress: SKIFF_API_SERVER, SKIFF_TOKEN and POD_IP must be set\n');
  process.exit(2);
}
const log = (m: string) => process.stderr.write(`${new Date().toISOString()} ${m}\n`);
const caPem = await fetchCACerts(server);
const client = new RestClient({ server, token, caData: caPem, userAgent: 'skiff-ingress-controller/v1.32.4' });
const running = await startIngressController({ client, listen: { host: podIP, httpPort: 80, httpsPort: 443 }, log });
const stop = () => void running.stop().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
