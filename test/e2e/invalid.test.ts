// Invalid manifests through the real kubectl: Kubernetes' exact error lines, and nothing stored lost or leaked.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, skiffBin, TestCluster } from '../support/cluster.js';
import { freePort } from '../support/ports.js';
import { apiOnly, inCidr, lines, namespaceManifest, writeManifest } from '../support/kubectl.js';

function nodePortService(name: string, nodePorts: number[], extra = ''): string {
  const ports = nodePorts.map((p, i) => `  - name: p${i}\n    port: ${80 + i}\n    targetPort: 80\n    nodePort: ${p}\n`).join('');
  return `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n${extra}spec:\n  type: NodePort\n  selector:\n    app: x\n  ports:\n${ports}`;
}

const DNS1035 =
  `a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`;

describe('invalid manifests print Kubernetes error lines', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.start(apiOnly());
  });
  after(async () => {
    await cluster?.destroy();
  });

  async function createFile(name: string, text: string, extraArgs: string[] = []) {
    const path = await writeManifest(name, text);
    return { path, r: await cluster.kubectl(['create', '-f', path, ...extraArgs]) };
  }

  it('nodePort 80 is outside the range', async () => {
    const { r } = await createFile('x.yaml', nodePortService('x', [80]));
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'The Service "x" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767\n');
    const a = await cluster.kubectl(['apply', '-f', await writeManifest('x.yaml', nodePortService('x', [80]))]);
    assert.equal(a.code, 1);
    assert.equal(a.stderr, 'The Service "x" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767\n');
    const g = await cluster.kubectl(['get', 'svc', 'x']);
    assert.match(g.stderr, /Error from server \(NotFound\): services "x" not found/);
  });

  it('a nodePort already taken is rejected, cluster-wide', async () => {
    const first = await createFile('first.yaml', nodePortService('first', [30008]));
    assert.equal(first.r.code, 0, first.r.stderr);
    assert.equal(first.r.stdout, 'service/first created\n');
    const second = await createFile('second.yaml', nodePortService('second', [30008]));
    assert.equal(second.r.code, 1);
    assert.equal(second.r.stderr, 'The Service "second" is invalid: spec.ports[0].nodePort: Invalid value: 30008: provided port is already allocated\n');
    // Node ports are one range for the whole cluster, not per namespace.
    await cluster.k('apply', '-f', await writeManifest('ns.yaml', namespaceManifest('other')));
    const other = await createFile('other.yaml', nodePortService('third', [30008]), ['-n', 'other']);
    assert.equal(other.r.code, 1);
    assert.equal(other.r.stderr, 'The Service "third" is invalid: spec.ports[0].nodePort: Invalid value: 30008: provided port is already allocated\n');
  });

  it('a Service name that is not a DNS-1035 label is rejected', async () => {
    const { r } = await createFile('bad.yaml', `apiVersion: v1\nkind: Service\nmetadata:\n  name: Bad_Name\nspec:\n  ports:\n  - port: 80\n`);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `The Service "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": ${DNS1035}\n`);
  });

  it('an unknown field is a strict decoding error under kubectl\'s default validation', async () => {
    const text = `apiVersion: v1\nkind: Service\nmetadata:\n  name: strict\nspec:\n  bogus: true\n  ports:\n  - port: 80\n`;
    const { path, r } = await createFile('strict.yaml', text);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `Error from server (BadRequest): error when creating "${path}": Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.bogus"\n`);
    assert.match((await cluster.kubectl(['get', 'svc', 'strict'])).stderr, /\(NotFound\)/);
  });

  it('--validate=warn creates the object and prints the unknown field as a warning', async () => {
    const text = `apiVersion: v1\nkind: Service\nmetadata:\n  name: warned\nspec:\n  bogus: true\n  ports:\n  - port: 80\n`;
    const { r } = await createFile('warned.yaml', text, ['--validate=warn']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'service/warned created\n');
    assert.equal(r.stderr, 'Warning: unknown field "spec.bogus"\n');
    const spec = JSON.parse(await cluster.k('get', 'svc', 'warned', '-o', 'json')).spec as Record<string, unknown>;
    assert.equal(spec.bogus, undefined, 'the unknown field is dropped');
  });

  it('--validate=ignore (and =false) creates the object silently', async () => {
    for (const [name, flag] of [['ignored', '--validate=ignore'], ['unvalidated', '--validate=false']] as const) {
      const text = `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  bogus: true\n  ports:\n  - port: 80\n`;
      const { r } = await createFile(`${name}.yaml`, text, [flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `service/${name} created\n`);
      assert.equal(r.stderr, '');
    }
  });

  it('malformed YAML is refused by kubectl before anything is sent', async () => {
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\n  labels: {a: b\ndata:\n  k: v\n`;
    const { path, r } = await createFile('broken.yaml', text);
    assert.equal(r.code, 1);
    assert.equal(lines(r.stderr).length, 1, r.stderr);
    assert.ok(r.stderr.startsWith(`error: error parsing ${path}: error converting YAML to JSON: yaml: line `), r.stderr);
    assert.match((await cluster.kubectl(['get', 'cm', 'broken'])).stderr, /\(NotFound\)/);
  });

  it('a rejected Service with several ports does not leak the valid ones', async () => {
    const { r } = await createFile('multi.yaml', nodePortService('multi', [31000, 80]));
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'The Service "multi" is invalid: spec.ports[1].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767\n');
    const ok = await createFile('reuse.yaml', nodePortService('reuse', [31000]));
    assert.equal(ok.r.code, 0, ok.r.stderr);
    assert.equal(ok.r.stdout, 'service/reuse created\n');
  });

  it('after the failures the earlier objects are intact and deleting the first Service frees its port', async () => {
    const first = JSON.parse(await cluster.k('get', 'svc', 'first', '-o', 'json')) as { spec: { ports: { nodePort: number }[]; clusterIP: string } };
    assert.equal(first.spec.ports[0]!.nodePort, 30008);
    assert.ok(inCidr(first.spec.clusterIP, cluster.serviceCIDR), first.spec.clusterIP);
    const names = (await cluster.k('get', 'svc', '-o', 'name')).trim().split('\n').sort();
    assert.deepEqual(names, ['service/first', 'service/ignored', 'service/kubernetes', 'service/reuse', 'service/unvalidated', 'service/warned']);
    assert.equal(await cluster.k('delete', 'svc', 'first'), 'service "first" deleted\n');
    const again = await createFile('again.yaml', nodePortService('again', [30008]));
    assert.equal(again.r.code, 0, again.r.stderr);
    assert.equal(again.r.stdout, 'service/again created\n');
    const port = await cluster.k('get', 'svc', 'again', '-o', 'jsonpath={.spec.ports[0].nodePort}');
    assert.equal(port, '30008');
  });

  it('a failed update leaves the stored object unchanged', async () => {
    const before = JSON.parse(await cluster.k('get', 'svc', 'again', '-o', 'json')) as { metadata: { resourceVersion: string } };
    const r = await cluster.kubectl(['patch', 'svc', 'again', '--type=merge', '-p', '{"spec":{"ports":[{"name":"p0","port":80,"targetPort":80,"nodePort":80}]}}']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'The Service "again" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767\n');
    const afterObj = JSON.parse(await cluster.k('get', 'svc', 'again', '-o', 'json')) as { metadata: { resourceVersion: string }; spec: { ports: { nodePort: number }[] } };
    assert.equal(afterObj.metadata.resourceVersion, before.metadata.resourceVersion);
    assert.equal(afterObj.spec.ports[0]!.nodePort, 30008);
  });
});

describe('bad start-up input', () => {
  it('a malformed --private-registry stops skiff server before anything starts, naming the file and the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-bad-registries-'));
    try {
      const file = join(dir, 'registries.yaml');
      writeFileSync(file, 'mirror:\n  docker.io:\n    endpoint: ["http://127.0.0.1:1"]\n');
      const r = await run(process.execPath, [skiffBin, 'server', '--data-dir', join(dir, 'data'), '--https-listen-port', String(await freePort()),
        '--write-kubeconfig', join(dir, 'kubeconfig'), '--private-registry', file], { timeoutMs: 30_000 });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.equal(r.stderr.trim().split('\n').at(-1), `skiff: --private-registry ${file}: unknown field "mirror" (mirrors, configs)`);
      // nothing was started: no kubeconfig, no network mode chosen
      assert.equal(existsSync(join(dir, 'kubeconfig')), false);
      assert.doesNotMatch(r.stdout + r.stderr, /network mode|netns/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a --ui-port already taken is a warning: the server still gets ready and serves kubectl', async () => {
    // the view used to wait, on that path, for the process-wide informers to stop: the server never got ready
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    let cluster: TestCluster | undefined;
    try {
      cluster = await TestCluster.start({ network: 'loopback', extraArgs: ['--ui-port', String(port)] });
      assert.match(await cluster.k('get', 'ns', 'default', '-o', 'name'), /^namespace\/default$/m);
      assert.match(cluster.logs, new RegExp(`web view not started: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.* \\(choose another with --ui-port\\)`));
    } finally {
      await cluster?.stop();
      taken.close();
    }
  });
});
