/**
 * Issue 5's figures, side by side in one run: HTTP through the skiff ingress vs straight to the Service
 * (ClusterIP) vs through nginx as a reverse proxy to the same pods; then kubectl port-forward: 1,000
 * sequential connections and one idle connection (SKIFF_BENCH_IDLE_SECONDS, default 600) used afterwards.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestCluster } from '../test/support/cluster.js';
import { apply, app, clusterIP, startBenchCluster, waitEndpoints, waitServing, type Endpoint } from './cluster.js';
import { benchPortForward } from './port-forward.js';
import { Daemon, have, ratio, row, wrk, type WrkResult } from './tools.js';

const host = 'bench.skiff.test';

function nginxConfig(dir: string, listen: string, servers: Endpoint[]): string {
  return `user root;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream backends {
${servers.map((s) => `    server ${s.ip}:${s.port};`).join('\n')}
    keepalive 64;
  }
  server {
    listen ${listen};
    location / {
      proxy_pass http://backends;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`;
}

async function startNginx(dir: string, listen: string, servers: Endpoint[]): Promise<Daemon> {
  const cfg = join(dir, 'nginx.conf');
  await writeFile(cfg, nginxConfig(dir, listen, servers));
  const d = new Daemon('nginx', ['-e', `${dir}/error.log`, '-p', dir, '-c', cfg, '-g', 'daemon off;']);
  const [h, p] = listen.split(':');
  try {
    await waitServing(h!, Number(p));
  } catch (err) {
    await d.stop();
    throw new Error(`nginx did not serve: ${(err as Error).message}\n${d.output}`);
  }
  return d;
}

/** The ingress' LoadBalancer IP (what users hit) and the listener behind it (its EndpointSlice's http port). */
async function ingressAddresses(c: TestCluster): Promise<{ lb: string; listener: string }> {
  const lb = (await c.k('get', 'svc', 'skiff-ingress', '-n', 'kube-system', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}')).trim();
  const out = await c.k('get', 'endpointslices', '-n', 'kube-system', '-l', 'kubernetes.io/service-name=skiff-ingress', '-o', 'json');
  const slices = (JSON.parse(out) as { items: Array<{ endpoints?: Array<{ addresses: string[] }>; ports?: Array<{ name?: string; port: number }> }> }).items;
  const s = slices.find((x) => x.endpoints?.length && x.ports?.some((p) => p.name === 'http'));
  if (!lb || !s) throw new Error('the skiff-ingress Service has no LoadBalancer IP or endpoint');
  return { lb: `${lb}:80`, listener: `${s.endpoints![0]!.addresses[0]}:${s.ports!.find((p) => p.name === 'http')!.port}` };
}

async function httpRates(t: { clusterIP: string; ingressLB: string; ingressListener: string; nginx?: string }): Promise<void> {
  for (const close of [false, true]) {
    console.log(`\n[ingress] HTTP to 3 echo pods, ${close ? 'new connection per request' : 'keep-alive'} (wrk -t2 -c50${close ? " -H 'Connection: close'" : ''}, Host: ${host})`);
    const svc = await wrk(`http://${t.clusterIP}/`, { close, host });
    console.log(row('Service ClusterIP (userspace proxy)', svc));
    const lb = await wrk(`http://${t.ingressLB}/`, { close, host });
    console.log(row('skiff ingress via its LoadBalancer IP', lb));
    const listener = await wrk(`http://${t.ingressListener}/`, { close, host });
    console.log(row('skiff ingress listener (no proxy hop)', listener));
    let ng: WrkResult | undefined;
    if (t.nginx) {
      ng = await wrk(`http://${t.nginx}/`, { close, host });
      console.log(row('nginx reverse proxy (1 worker, keepalive 64)', ng));
    }
    console.log(`  ingress(LB)/Service: ${ratio(lb, svc)}`);
    console.log(`  ingress listener/Service: ${ratio(listener, svc)}`);
    if (ng) console.log(`  ingress listener/nginx: ${ratio(listener, ng)}`);
  }
}

export async function benchIngress(): Promise<void> {
  const haveWrk = have('wrk', '[ingress] HTTP');
  const haveNginx = haveWrk && have('nginx', '[ingress] nginx comparison');
  const { cluster: c, spare } = await startBenchCluster();
  const dir = await mkdtemp(join(tmpdir(), 'skiff-bench-ing-'));
  let nginx: Daemon | undefined;
  try {
    await apply(c, [
      ...app('echo', { image: 'skiff/echo', port: 8080, replicas: 3 }),
      {
        apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'bench' },
        spec: { ingressClassName: 'skiff', rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'echo', port: { number: 80 } } } }] } }] },
      },
    ]);
    const echo = await waitEndpoints(c, 'echo', 3);
    const vip = await clusterIP(c, 'echo');
    await waitServing(vip, 80);
    if (haveWrk) {
      const ing = await ingressAddresses(c);
      const [lbHost, lbPort] = ing.lb.split(':');
      await waitServing(lbHost!, Number(lbPort), { hostHeader: host, status: 200 }); // 404 until the routing table has the rule
      if (haveNginx) nginx = await startNginx(dir, `${spare(3)}:8080`, echo);
      console.log('[ingress] 2 cores shared by wrk, skiff (API server, proxy and ingress in one Node process) and 3 echo pods');
      await httpRates({ clusterIP: `${vip}:80`, ingressLB: ing.lb, ingressListener: ing.listener, nginx: nginx && `${spare(3)}:8080` });
      await nginx?.stop();
      nginx = undefined;
    }
    await benchPortForward(c, { pod: echo[0]!, address: spare(4) });
  } finally {
    await nginx?.stop();
    await c.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}
