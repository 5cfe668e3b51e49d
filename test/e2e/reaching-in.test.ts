// Issue 5 end to end with real pods: two echo Deployments behind one Ingress (host and path rules, TLS
// from a `kubectl create secret tls` Secret, 404 and 503), and kubectl port-forward to a pod, a Service
// and a Deployment over both transports. Everything is seen with the real kubectl and curl.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run, TestCluster } from '../support/cluster.js';
import { inCidr, parseTable } from '../support/kubectl.js';
import { freePort, waitFor } from '../support/ports.js';
import { curl, echoAnswer, startPortForward, stopAllPortForwards, type HttpAnswer } from '../support/portforward.js';

// The cluster takes its own address block (address-block.ts); kubectl port-forward --address binds spare
// addresses of that block, which the cluster itself never uses.
const seed000 = resolve(import.meta.dirname, '..', 'fixtures', 'seeds', '000-nodeport.yaml');

const apps = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: alpha }
spec:
  replicas: 2
  selector: { matchLabels: { app: alpha } }
  template:
    metadata: { labels: { app: alpha } }
    spec:
      containers:
      - name: echo
        image: skiff/echo
        ports: [{ name: http, containerPort: 8080 }, { name: admin, containerPort: 9090 }]
        readinessProbe: { httpGet: { path: /readyz, port: http }, periodSeconds: 1 }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: beta }
spec:
  replicas: 1
  selector: { matchLabels: { app: beta } }
  template:
    metadata: { labels: { app: beta } }
    spec:
      containers:
      - name: echo
        image: skiff/echo
        ports: [{ name: web, containerPort: 9000 }]
        readinessProbe: { httpGet: { path: /readyz, port: web }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: alpha }
spec: { selector: { app: alpha }, ports: [{ name: http, port: 80, targetPort: http }] }
---
apiVersion: v1
kind: Service
metadata: { name: beta }
spec: { selector: { app: beta }, ports: [{ name: web, port: 8080, targetPort: web }] }
`;

// No ingressClassName: the default IngressClass (skiff) takes it.
const ingress = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: web }
spec:
  tls: [{ hosts: [secure.test], secretName: web-tls }]
  rules:
  - host: alpha.test
    http:
      paths: [{ path: /, pathType: Prefix, backend: { service: { name: alpha, port: { number: 80 } } } }]
  - host: web.test
    http:
      paths:
      - { path: /foo, pathType: Prefix, backend: { service: { name: alpha, port: { name: http } } } }
      - { path: /foo, pathType: Exact, backend: { service: { name: beta, port: { number: 8080 } } } }
  - host: secure.test
    http:
      paths: [{ path: /, pathType: Prefix, backend: { service: { name: beta, port: { name: web } } } }]
`;

describe('reaching in: Ingress and port-forward with real pods, kubectl and curl', () => {
  let cluster: TestCluster;
  let dir: string;
  let address = '';

  const readyEndpoints = async (svc: string): Promise<number> => {
    const out = await cluster.k('get', 'endpointslices', '-l', `kubernetes.io/service-name=${svc}`, '-o', 'json');
    const slices = JSON.parse(out) as { items: Array<{ endpoints?: Array<{ conditions?: { ready?: boolean } }> }> };
    return slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length;
  };
  const via = (host: string, path: string) => curl(['-H', `Host: ${host}`, `http://${address}${path}`]);
  const tls = (host: string, path: string, extra: string[] = ['--cacert', join(dir, 'ca.pem')]) =>
    curl(['--resolve', `${host}:443:${address}`, ...extra, `https://${host}${path}`]);
  const podOf = async (a: Promise<HttpAnswer>) => {
    const answer = await a;
    assert.equal(answer.status, 200, answer.body);
    return echoAnswer(answer).hostname;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-reaching-in-'));
    cluster = await TestCluster.start();
    await cluster.kubectl(['apply', '-f', '-'], { input: apps }).then((r) => assert.equal(r.code, 0, r.stderr));
    await cluster.k('apply', '-f', seed000);
    // A test CA signs the host's certificate (SAN secure.test), so curl verifies it with --cacert.
    const openssl = async (...args: string[]) => run('openssl', args, { cwd: dir }).then((r) => assert.equal(r.code, 0, r.stderr));
    await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=reaching-in test CA', '-keyout', 'ca.key', '-out', 'ca.pem');
    await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=secure.test', '-keyout', 'tls.key', '-out', 'tls.csr');
    await writeFile(join(dir, 'san.cnf'), 'subjectAltName=DNS:secure.test\n');
    await openssl('x509', '-req', '-in', 'tls.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'san.cnf', '-out', 'tls.crt');
    await cluster.k('create', 'secret', 'tls', 'web-tls', '--cert', join(dir, 'tls.crt'), '--key', join(dir, 'tls.key'));
    await cluster.kubectl(['apply', '-f', '-'], { input: ingress }).then((r) => assert.equal(r.code, 0, r.stderr));
    await waitFor('alpha has 2 ready endpoints', async () => (await readyEndpoints('alpha')) === 2 || undefined, 60_000);
    await waitFor('beta has 1 ready endpoint', async () => (await readyEndpoints('beta')) === 1 || undefined, 60_000);
    await waitFor('pod-nginx is Ready', async () => (await cluster.k('get', 'pod', 'pod-nginx', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')) === 'True' || undefined, 60_000);
    address = await waitFor('the Ingress ADDRESS', async () => parseTable(await cluster.k('get', 'ingress', 'web')).find((r) => r.NAME === 'web')?.ADDRESS || undefined, 30_000);
  });

  after(async () => {
    await stopAllPortForwards();
    await cluster?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('Ingress', () => {
    it('kubectl get ingress shows CLASS, HOSTS, ADDRESS and PORTS', async () => {
      const row = parseTable(await cluster.k('get', 'ingress')).find((r) => r.NAME === 'web');
      assert.ok(row, 'the ingress is listed');
      assert.equal(row.CLASS, 'skiff');
      assert.equal(row.HOSTS, 'alpha.test,web.test,secure.test');
      assert.ok(inCidr(row.ADDRESS!, cluster.lbPool), `ADDRESS ${row.ADDRESS} is from the pool`);
      assert.equal(row.PORTS, '80, 443');
      const svc = parseTable(await cluster.k('get', 'service', '-n', 'kube-system', 'skiff-ingress')).find((r) => r.NAME === 'skiff-ingress');
      assert.equal(svc?.['EXTERNAL-IP'], row.ADDRESS, 'the ADDRESS is the controller Service\'s LoadBalancer IP');
    });

    it('routes by host to the two Services\' pods', async () => {
      const alphaPods = new Set<string>();
      await waitFor('both alpha pods answer through the Ingress', async () => {
        alphaPods.add(await podOf(via('alpha.test', '/')));
        return alphaPods.size === 2 || undefined;
      }, 20_000, 0);
      for (const p of alphaPods) assert.match(p, /^alpha-/);
      assert.match(await podOf(via('secure.test', '/')), /^beta-/, 'plain HTTP is served for a TLS host too');
    });

    it('routes by path: Exact beats Prefix, Prefix matches by path element', async () => {
      assert.match(await podOf(via('web.test', '/foo')), /^beta-/, 'Exact /foo wins over Prefix /foo');
      assert.match(await podOf(via('web.test', '/foo/')), /^alpha-/);
      assert.match(await podOf(via('web.test', '/foo/bar')), /^alpha-/, 'Prefix /foo matches /foo/bar');
      const answer = echoAnswer(await via('web.test', '/foo/bar?x=1'));
      assert.equal(answer.path, '/foo/bar?x=1', 'the path reaches the backend unchanged');
      assert.equal(answer.headers['x-forwarded-host'], 'web.test');
      assert.equal((await via('web.test', '/foobar')).status, 404, 'Prefix /foo does not match /foobar');
      assert.equal((await via('web.test', '/')).status, 404);
    });

    it('terminates TLS with the Secret\'s certificate, verified against the test CA', async () => {
      const answer = await tls('secure.test', '/hello');
      assert.equal(answer.status, 200, answer.body);
      const echo = echoAnswer(answer);
      assert.match(echo.hostname, /^beta-/);
      assert.equal(echo.headers['x-forwarded-proto'], 'https');
    });

    it('answers 404 for a host with no rule, over HTTP and HTTPS', async () => {
      assert.equal((await via('nobody.test', '/')).status, 404);
      assert.equal((await tls('nobody.test', '/', ['-k'])).status, 404);
    });

    it('answers 503 once the backend is scaled to 0 and its endpoints are gone', async () => {
      await cluster.k('scale', 'deployment', 'beta', '--replicas=0');
      await waitFor('beta has no endpoints', async () => (await readyEndpoints('beta')) === 0 || undefined, 60_000);
      await waitFor('the Ingress answers 503', async () => (await tls('secure.test', '/')).status === 503 || undefined, 10_000);
      assert.equal((await via('web.test', '/foo')).status, 503);
      assert.match(await podOf(via('web.test', '/foo/x')), /^alpha-/, 'the other Service still answers');
    });
  });

  describe('kubectl port-forward', () => {
    let next = 1;
    const nextAddress = (): string => cluster.spare(next++);

    for (const websockets of [true, false]) {
      const transport = websockets ? 'WebSocket' : 'SPDY';

      it(`seed 000's form: --address 127.x.y.z pod/pod-nginx 8443:80 (${transport})`, async () => {
        const ip = nextAddress();
        const pf = await startPortForward(cluster, ['--address', ip, 'pod/pod-nginx', '8443:80'], { websockets });
        try {
          assert.match(pf.stdout, new RegExp(`^Forwarding from ${ip.replace(/\./g, '\\.')}:8443 -> 80$`, 'm'));
          const answer = await curl([`http://${ip}:8443/`]);
          assert.equal(answer.status, 200);
          assert.match(answer.body, /Welcome to nginx!/);
        } finally {
          await pf.stop();
        }
      });

      for (const target of ['svc/alpha', 'deploy/alpha']) {
        it(`${target} (${transport})`, async () => {
          const ip = nextAddress();
          const port = await freePort(ip);
          // svc/alpha's port 80 is the Service port (kubectl maps it to the targetPort); a Deployment's is the pod's.
          const remote = target === 'svc/alpha' ? 80 : 8080;
          const pf = await startPortForward(cluster, ['--address', ip, target, `${port}:${remote}`], { websockets });
          try {
            assert.match(pf.stdout, new RegExp(`:${port} -> 8080$`, 'm'));
            const answer = await curl([`http://${ip}:${port}/through/${target}`]);
            assert.equal(answer.status, 200, answer.body);
            const echo = echoAnswer(answer);
            assert.match(echo.hostname, /^alpha-/);
            assert.equal(echo.path, `/through/${target}`);
          } finally {
            await pf.stop();
          }
        });
      }

      it(`carries 100 sequential connections through one port-forward (${transport})`, async () => {
        const ip = nextAddress();
        const port = await freePort(ip);
        const pf = await startPortForward(cluster, ['--address', ip, 'pod/pod-nginx', `${port}:80`], { websockets });
        try {
          const failures: string[] = [];
          const ttfb: number[] = [];
          for (let i = 0; i < 100; i++) {
            // Each curl is its own process, so each request is its own TCP connection and stream pair.
            const answer = await curl([`http://${ip}:${port}/?n=${i}`]).catch((err: Error) => ({ status: 0, body: err.message, ttfbMs: 0 }));
            if (answer.status !== 200) failures.push(`#${i}: ${answer.status} ${answer.body.slice(0, 200)}`);
            ttfb.push(answer.ttfbMs);
          }
          assert.deepEqual(failures, []);
          // Nagle on any leg shows up as delayed-ACK stalls of 40 ms or more on every connection.
          const median = ttfb.sort((a, b) => a - b)[50]!;
          assert.ok(median < 40, `median time to first byte ${median.toFixed(1)} ms`);
          assert.equal(pf.exitCode, null, 'kubectl is still forwarding');
          assert.doesNotMatch(pf.stderr, /error/i);
        } finally {
          await pf.stop();
        }
      });
    }

    it('carries 30 concurrent connections, each its own stream pair', async () => {
      const ip = nextAddress();
      const port = await freePort(ip);
      const pf = await startPortForward(cluster, ['--address', ip, 'svc/alpha', `${port}:80`]);
      try {
        const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => curl([`http://${ip}:${port}/concurrent/${i}`])));
        answers.forEach((a, i) => assert.equal(echoAnswer(a).path, `/concurrent/${i}`));
        assert.equal(pf.exitCode, null, 'kubectl is still forwarding');
      } finally {
        await pf.stop();
      }
    });

    it('forwards several ports in one port-forward', async () => {
      const ip = nextAddress();
      const [p1, p2] = [await freePort(ip), await freePort(ip)];
      const pf = await startPortForward(cluster, ['--address', ip, 'deploy/alpha', `${p1}:8080`, `${p2}:9090`], { listeners: 2 });
      try {
        for (const port of [p1, p2]) {
          const echo = echoAnswer(await curl([`http://${ip}:${port}/port/${port}`]));
          assert.match(echo.hostname, /^alpha-/);
          assert.equal(echo.path, `/port/${port}`);
        }
      } finally {
        await pf.stop();
      }
    });

    it('reports a port nobody listens on on kubectl\'s stderr', async () => {
      const ip = nextAddress();
      const port = await freePort(ip);
      const pf = await startPortForward(cluster, ['--address', ip, 'pod/pod-nginx', `${port}:81`]);
      try {
        await assert.rejects(curl([`http://${ip}:${port}/`]), 'nothing answers on port 81');
        const stderr = await waitFor('kubectl to report the error', () => (/connection refused/.test(pf.stderr) ? pf.stderr : undefined), 10_000);
        assert.match(stderr, /an error occurred forwarding \d+ -> 81: error forwarding port 81 to pod/);
      } finally {
        await pf.stop();
      }
    });

    it('does not drop an idle connection (15 s without a byte), on either transport', async () => {
      const idle = async (websockets: boolean): Promise<string> => {
        const ip = nextAddress();
        const port = await freePort(ip);
        const pf = await startPortForward(cluster, ['--address', ip, 'pod/pod-nginx', `${port}:80`], { websockets });
        try {
          return await new Promise<string>((ok, fail) => {
            const socket = connect(port, ip);
            let got = '';
            let closedEarly = true;
            socket.on('data', (d: Buffer) => (got += d.toString()));
            socket.on('error', fail);
            socket.on('close', () => (closedEarly ? fail(new Error(`connection closed while idle (${got})`)) : ok(got)));
            // The idle time is the subject of this test, not a synchronisation wait.
            socket.on('connect', () =>
              setTimeout(() => {
                closedEarly = false;
                socket.write('GET / HTTP/1.1\r\nHost: idle.test\r\nConnection: close\r\n\r\n');
              }, 15_000),
            );
          });
        } finally {
          await pf.stop();
        }
      };
      const answers = await Promise.all([idle(true), idle(false)]);
      for (const a of answers) assert.match(a, /^HTTP\/1\.1 200 OK\r\n[\s\S]*Welcome to nginx!/);
    });
  });
});
