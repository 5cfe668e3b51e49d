// Every seed manifest through the real kubectl: create, apply twice, get -o wide, describe, delete;
// then what `kubectl get svc` shows for all seed Services at once.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { inCidr, kindRef, lines, namespaceManifest, parseManifest, parseTable, tableHeader, apiOnly } from '../support/kubectl.js';

const seedDir = resolve(import.meta.dirname, '..', 'fixtures', 'seeds');
const removedApi = '004-ingress-extensions-v1beta1.yaml';
const seeds = readdirSync(seedDir).filter((f) => f.endsWith('.yaml') && f !== removedApi).sort();
/** The service range of the cluster under test (the harness gives each cluster its own). */
let SERVICE_CIDR = '';
const lastAppliedWarning = (resource: string, name: string): string =>
  `Warning: resource ${resource}/${name} is missing the kubectl.kubernetes.io/last-applied-configuration annotation which is required by kubectl apply. kubectl apply should only be used on resources created declaratively by either kubectl create --save-config or kubectl apply. The missing annotation will be patched automatically.`;

/** Header columns `kubectl get -o wide` prints for each seed kind (Kubernetes 1.32, MetalLB CRD columns). */
const wideHeaders: Record<string, string[]> = {
  Deployment: ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR'],
  Service: ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR'],
  Pod: ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'],
  Ingress: ['NAME', 'CLASS', 'HOSTS', 'ADDRESS', 'PORTS', 'AGE'],
  IPAddressPool: ['NAME', 'AUTO ASSIGN', 'AVOID BUGGY IPS', 'ADDRESSES'],
};

const plural = (kind: string): string => (kind === 'Ingress' ? 'ingresses' : `${kind.toLowerCase()}s`);

function objectsOf(file: string) {
  return parseManifest(readFileSync(join(seedDir, file), 'utf8'));
}

function nsArgs(o: { metadata: { namespace?: string } }): string[] {
  return o.metadata.namespace ? ['-n', o.metadata.namespace] : [];
}

describe('seed manifests through kubectl', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.start(apiOnly());
    SERVICE_CIDR = cluster.serviceCIDR;
    // Namespace for the IPAddressPool (applied as YAML→JSON; `kubectl create ns` is covered in api-verbs).
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: namespaceManifest('metallb-system') });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await cluster?.destroy();
  });

  for (const file of seeds) {
    const path = join(seedDir, file);
    const objs = objectsOf(file);
    describe(file, () => {
      it('create -f prints `<kind>/<name> created` for every object', async () => {
        const r = await cluster.kubectl(['create', '-f', path]);
        assert.equal(r.stderr, '');
        assert.equal(r.code, 0);
        assert.deepEqual(lines(r.stdout), objs.map((o) => `${kindRef(o)}/${o.metadata.name} created`));
      });

      it('apply -f after create prints `configured` with the last-applied warning', async () => {
        const r = await cluster.kubectl(['apply', '-f', path]);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(lines(r.stdout), objs.map((o) => `${kindRef(o)}/${o.metadata.name} configured`));
        assert.deepEqual(lines(r.stderr), objs.map((o) => lastAppliedWarning(plural(o.kind), o.metadata.name)));
      });

      it('apply -f again prints `unchanged`', async () => {
        const r = await cluster.kubectl(['apply', '-f', path]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stderr, '');
        assert.deepEqual(lines(r.stdout), objs.map((o) => `${kindRef(o)}/${o.metadata.name} unchanged`));
      });

      it('get -o wide prints Kubernetes columns', async () => {
        for (const o of objs) {
          const out = await cluster.k('get', kindRef(o), o.metadata.name, '-o', 'wide', ...nsArgs(o));
          assert.deepEqual(tableHeader(out), wideHeaders[o.kind], `${o.kind} header`);
          const [row] = parseTable(out);
          assert.equal(row?.NAME, o.metadata.name);
          checkWideRow(o.kind, row!, o as unknown as Record<string, unknown>);
        }
      });

      it('describe succeeds and shows key fields', async () => {
        for (const o of objs) {
          const out = await cluster.k('describe', kindRef(o), o.metadata.name, ...nsArgs(o));
          assert.match(out, new RegExp(`^Name:\\s+${o.metadata.name}$`, 'm'));
          assert.match(out, new RegExp(`^Namespace:\\s+${o.metadata.namespace ?? 'default'}$`, 'm'));
          checkDescribe(o.kind, out);
        }
      });

      it('delete -f prints `<kind> "<name>" deleted` and the objects are gone', async () => {
        const r = await cluster.kubectl(['delete', '-f', path]);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(lines(r.stdout), objs.map((o) => `${kindRef(o)} "${o.metadata.name}" deleted`));
        for (const o of objs) {
          const g = await cluster.kubectl(['get', kindRef(o), o.metadata.name, ...nsArgs(o)]);
          assert.notEqual(g.code, 0);
          assert.match(g.stderr, /\(NotFound\)/);
        }
      });

      it('apply -f on a clean slate prints `created`, then `unchanged`; delete cleans up', async () => {
        const r1 = await cluster.kubectl(['apply', '-f', path]);
        assert.equal(r1.code, 0, r1.stderr);
        assert.equal(r1.stderr, '');
        assert.deepEqual(lines(r1.stdout), objs.map((o) => `${kindRef(o)}/${o.metadata.name} created`));
        const r2 = await cluster.kubectl(['apply', '-f', path]);
        assert.equal(r2.code, 0, r2.stderr);
        assert.deepEqual(lines(r2.stdout), objs.map((o) => `${kindRef(o)}/${o.metadata.name} unchanged`));
        await cluster.k('delete', '-f', path);
      });
    });
  }

  it(`${removedApi}: kubectl says the extensions/v1beta1 Ingress kind does not exist`, async () => {
    const path = join(seedDir, removedApi);
    const expected = `error: resource mapping not found for name: "test-ingress" namespace: "" from "${path}": no matches for kind "Ingress" in version "extensions/v1beta1"\nensure CRDs are installed first\n`;
    for (const verb of ['create', 'apply']) {
      const r = await cluster.kubectl([verb, '-f', path]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, expected);
    }
  });
});

function checkWideRow(kind: string, row: Record<string, string>, o: Record<string, unknown>): void {
  switch (kind) {
    case 'Pod':
      assert.equal(row.READY, '0/1');
      assert.equal(row.STATUS, 'Pending');
      assert.equal(row.NODE, '<none>');
      break;
    case 'Deployment': {
      const spec = o.spec as { replicas: number; template: { spec: { containers: { name: string; image: string }[] } } };
      assert.equal(row.READY, `0/${spec.replicas}`);
      assert.equal(row.CONTAINERS, spec.template.spec.containers.map((c) => c.name).join(','));
      assert.equal(row.IMAGES, spec.template.spec.containers.map((c) => c.image).join(','));
      break;
    }
    case 'Service':
      assert.ok(row['CLUSTER-IP'] === 'None' || inCidr(row['CLUSTER-IP']!, SERVICE_CIDR), `CLUSTER-IP ${row['CLUSTER-IP']} in ${SERVICE_CIDR}`);
      assert.match(row['PORT(S)']!, /^\d+(:\d+)?\/TCP$/);
      break;
    case 'Ingress':
      assert.equal(row.CLASS, '<none>');
      assert.equal(row.HOSTS, 'testhost.com');
      assert.equal(row.PORTS, '80, 443');
      break;
    case 'IPAddressPool':
      // MetalLB's CRD defaults autoAssign=true and avoidBuggyIPs=false.
      assert.equal(row['AUTO ASSIGN'], 'true');
      assert.equal(row['AVOID BUGGY IPS'], 'false');
      assert.equal(row.ADDRESSES, '["192.168.1.240-192.168.1.250"]');
      break;
  }
}

function checkDescribe(kind: string, out: string): void {
  switch (kind) {
    case 'Service':
      assert.match(out, /^Type:\s+(ClusterIP|NodePort|LoadBalancer)$/m);
      assert.match(out, /^IP Family Policy:\s+SingleStack$/m);
      assert.match(out, /^IP Families:\s+IPv4$/m);
      assert.match(out, /^Port:\s+\S+\s+\d+\/TCP$/m);
      assert.match(out, /^Session Affinity:\s+None$/m);
      break;
    case 'Deployment':
      // No nodes: nothing becomes available (how many Pods exist depends on the Deployment controller).
      assert.match(out, /^Replicas:\s+\d+ desired \| \d+ updated \| \d+ total \| 0 available \| \d+ unavailable$/m);
      assert.match(out, /^StrategyType:\s+RollingUpdate$/m);
      assert.match(out, /^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$/m);
      break;
    case 'Pod':
      assert.match(out, /^Status:\s+Pending$/m);
      assert.match(out, /^Containers:$/m);
      break;
    case 'Ingress':
      assert.match(out, /testhost\.com/);
      assert.match(out, /service-test:80/);
      break;
    case 'IPAddressPool':
      assert.match(out, /192\.168\.1\.240-192\.168\.1\.250/);
      break;
  }
}

describe('kubectl get svc over the seed Services', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.start(apiOnly());
    SERVICE_CIDR = cluster.serviceCIDR;
    for (const f of ['000-clusterip.yaml', '000-loadbalancer.yaml', '000-nodeport.yaml', '001-clusterip.yaml', '001-loadbalancer.yaml', '001-nodeport.yaml', '002-headless.yaml', '004-service.yaml']) {
      await cluster.k('create', '-f', join(seedDir, f));
    }
  });
  after(async () => {
    await cluster?.destroy();
  });

  it('shows TYPE, CLUSTER-IP in the service range, EXTERNAL-IP and PORT(S) as Kubernetes does', async () => {
    const out = await cluster.k('get', 'svc');
    assert.deepEqual(tableHeader(out), ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    const rows = new Map(parseTable(out).map((r) => [r.NAME!, r]));
    const ext = '192.168.56.150,192.168.56.151,192.168.56.152';
    const expected: [string, string, string, RegExp][] = [
      ['cl-service', 'ClusterIP', '<none>', /^80\/TCP$/],
      ['clusterip-sample-service', 'ClusterIP', '<none>', /^8080\/TCP$/],
      ['headless-service', 'ClusterIP', '<none>', /^80\/TCP$/],
      ['kubernetes', 'ClusterIP', '<none>', /^443\/TCP$/],
      ['lb-nginx', 'LoadBalancer', '<pending>', /^80:3\d{4}\/TCP$/],
      ['loadbalancer-sample-service', 'LoadBalancer', ext, /^8080:3\d{4}\/TCP$/],
      ['nginx-nodeport', 'NodePort', '<none>', /^80:30008\/TCP$/],
      ['nodeport-sample-service', 'NodePort', ext, /^8080:30303\/TCP$/],
      ['service-test', 'LoadBalancer', '<pending>', /^80:3\d{4}\/TCP$/],
    ];
    assert.deepEqual([...rows.keys()].sort(), expected.map((e) => e[0]).sort());
    const ips = new Set<string>();
    for (const [name, type, external, ports] of expected) {
      const row = rows.get(name)!;
      assert.equal(row.TYPE, type, `${name} TYPE`);
      assert.equal(row['EXTERNAL-IP'], external, `${name} EXTERNAL-IP`);
      assert.match(row['PORT(S)']!, ports, `${name} PORT(S)`);
      assert.match(row.AGE!, /^\d+s$/);
      if (name === 'headless-service') {
        assert.equal(row['CLUSTER-IP'], 'None');
        continue;
      }
      assert.ok(inCidr(row['CLUSTER-IP']!, SERVICE_CIDR), `${name} CLUSTER-IP ${row['CLUSTER-IP']} in ${SERVICE_CIDR}`);
      assert.ok(!ips.has(row['CLUSTER-IP']!), `${name} CLUSTER-IP is unique`);
      ips.add(row['CLUSTER-IP']!);
    }
    assert.equal(rows.get('kubernetes')!['CLUSTER-IP'], SERVICE_CIDR.replace(/\.0\/\d+$/, '.1'));
  });

  it('get all lists the Pods (Pending), Services and Deployments in sections', async () => {
    for (const f of ['000-clusterip.yaml', '001-pod.yaml']) await cluster.k('apply', '-f', join(seedDir, f));
    const out = await cluster.k('get', 'all');
    const sections = out.split('\n\n').map((b) => b.split('\n')[0]!.split(/\s{2,}/));
    // A ReplicaSet section follows when the Deployment controller runs.
    assert.deepEqual(sections.map((h) => h.join(' ')).slice(0, 3), [
      'NAME READY STATUS RESTARTS AGE',
      'NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE',
      'NAME READY UP-TO-DATE AVAILABLE AGE',
    ]);
    assert.match(out, /^pod\/pod-nginx\s+0\/1\s+Pending\s+0\s+\d+s$/m);
    assert.match(out, /^pod\/spring-boot-rest-pod-app\s+0\/1\s+Pending\s+0\s+\d+s$/m);
    const np = /^service\/nginx-nodeport\s+NodePort\s+(\S+)\s+<none>\s+80:30008\/TCP\s+\d+s$/m.exec(out);
    assert.ok(np && inCidr(np[1]!, SERVICE_CIDR), `nginx-nodeport row with a CLUSTER-IP in ${SERVICE_CIDR}:\n${out}`);
    assert.match(out, /^deployment\.apps\/cluster-nginx-deployment\s+0\/3\s+\d+\s+0\s+\d+s$/m);
  });

  it('allocates distinct node ports to the LoadBalancer Services', async () => {
    const out = await cluster.k('get', 'svc', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.ports[0].nodePort}{"\\n"}{end}');
    const ports = lines(out).map((l) => l.split(' ')).filter(([, p]) => p);
    const values = ports.map(([, p]) => Number(p));
    assert.equal(new Set(values).size, values.length, `unique nodePorts: ${out}`);
    for (const v of values) assert.ok(v >= 30000 && v <= 32767, `${v} in 30000-32767`);
    assert.equal(ports.length, 5, `NodePort+LoadBalancer Services have nodePorts: ${out}`);
  });
});
