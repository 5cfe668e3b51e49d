// kubectl verbs against skiff: server-side apply, dry-run, scale, watch, label/annotate, patch, sort, selectors,
// chunked lists, conflicts, cascading deletion and namespace deletion.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/ports.js';
import { lines, namespaceManifest, parseTable, writeManifest, apiOnly } from '../support/kubectl.js';

function deployment(name: string, opts: { replicas?: number; image?: string; ns?: string } = {}): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
${opts.ns ? `  namespace: ${opts.ns}\n` : ''}  labels:
    app: ${name}
spec:
  replicas: ${opts.replicas ?? 2}
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
      - name: c
        image: ${opts.image ?? 'nginx:1.25'}
        ports:
        - containerPort: 80
          name: http
`;
}

function configMap(name: string, opts: { labels?: Record<string, string>; data?: Record<string, string>; ns?: string; finalizers?: string[] } = {}): string {
  const labels = Object.entries(opts.labels ?? {}).map(([k, v]) => `    ${k}: "${v}"\n`).join('');
  const data = Object.entries(opts.data ?? { k: 'v' }).map(([k, v]) => `  ${k}: "${v}"\n`).join('');
  const fin = (opts.finalizers ?? []).map((f) => `  - ${f}\n`).join('');
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${opts.ns ? `  namespace: ${opts.ns}\n` : ''}${labels ? `  labels:\n${labels}` : ''}${fin ? `  finalizers:\n${fin}` : ''}data:\n${data}`;
}

interface Meta {
  metadata: { uid: string; resourceVersion: string; generation?: number; ownerReferences?: unknown[]; finalizers?: string[]; deletionTimestamp?: string; managedFields?: { manager: string; operation: string }[] };
}

describe('kubectl verbs', () => {
  let cluster: TestCluster;
  const applyText = async (text: string, ...args: string[]) => cluster.kubectl(['apply', '-f', '-', ...args], { input: text });
  const json = async <T = Meta>(...args: string[]): Promise<T> => JSON.parse(await cluster.k('get', ...args, '-o', 'json')) as T;
  const names = async (...args: string[]): Promise<string[]> => lines(await cluster.k('get', ...args, '-o', 'name')).sort();
  const gone = async (...args: string[]): Promise<boolean> => {
    const r = await cluster.kubectl(['get', ...args]);
    return r.code !== 0 && /\(NotFound\)/.test(r.stderr);
  };

  before(async () => {
    cluster = await TestCluster.start(apiOnly());
  });
  after(async () => {
    await cluster?.destroy();
  });

  it('kubectl create namespace|configmap|secret (generators) create the objects', async () => {
    assert.equal(await cluster.k('create', 'namespace', 'gen'), 'namespace/gen created\n');
    assert.equal(await cluster.k('create', 'configmap', 'gen-cm', '--from-literal=a=1', '-n', 'gen'), 'configmap/gen-cm created\n');
    assert.equal(await cluster.k('create', 'secret', 'generic', 'gen-s', '--from-literal=p=q', '-n', 'gen'), 'secret/gen-s created\n');
    assert.equal(await cluster.k('get', 'cm', 'gen-cm', '-n', 'gen', '-o', 'jsonpath={.data.a}'), '1');
    assert.equal(await cluster.k('get', 'secret', 'gen-s', '-n', 'gen', '-o', 'jsonpath={.data.p}'), Buffer.from('q').toString('base64'));
    assert.equal(await cluster.k('get', 'secret', 'gen-s', '-n', 'gen', '-o', 'jsonpath={.type}'), 'Opaque');
  });

  it('apply --server-side creates, then changes, printing `serverside-applied`', async () => {
    const path = await writeManifest('ssa.yaml', deployment('ssa'));
    assert.equal(await cluster.k('apply', '--server-side', '-f', path), 'deployment.apps/ssa serverside-applied\n');
    const first = await json('deploy', 'ssa', '--show-managed-fields');
    assert.ok(first.metadata.managedFields?.some((f) => f.manager === 'kubectl' && f.operation === 'Apply'), JSON.stringify(first.metadata.managedFields));
    const changed = await writeManifest('ssa.yaml', deployment('ssa', { replicas: 4, image: 'nginx:1.26' }));
    assert.equal(await cluster.k('apply', '--server-side', '-f', changed), 'deployment.apps/ssa serverside-applied\n');
    const d = await json<Meta & { spec: { replicas: number; template: { spec: { containers: { image: string; ports: unknown[] }[] } } } }>('deploy', 'ssa');
    assert.equal(d.spec.replicas, 4);
    assert.equal(d.spec.template.spec.containers[0]!.image, 'nginx:1.26');
    assert.equal(d.metadata.generation, 2);
    assert.ok(Number(d.metadata.resourceVersion) > Number(first.metadata.resourceVersion));
  });

  it('apply --server-side reports a conflict with another manager unless --force-conflicts', async () => {
    await cluster.k('patch', 'deploy', 'ssa', '--type=merge', '-p', '{"spec":{"replicas":6}}', '--field-manager=other-tool');
    const path = await writeManifest('ssa.yaml', deployment('ssa', { replicas: 4, image: 'nginx:1.26' }));
    const r = await cluster.kubectl(['apply', '--server-side', '-f', path]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Apply failed with 1 conflict: conflict with "other-tool" using apps\/v1: \.spec\.replicas/);
    assert.equal(await cluster.k('apply', '--server-side', '--force-conflicts', '-f', path), 'deployment.apps/ssa serverside-applied\n');
    assert.equal(await cluster.k('get', 'deploy', 'ssa', '-o', 'jsonpath={.spec.replicas}'), '4');
  });

  it('--dry-run=server prints `(server dry run)` and stores nothing', async () => {
    const path = await writeManifest('dry.yaml', configMap('dry'));
    assert.equal(await cluster.k('create', '-f', path, '--dry-run=server'), 'configmap/dry created (server dry run)\n');
    assert.ok(await gone('cm', 'dry'));
    assert.equal(await cluster.k('apply', '-f', path, '--dry-run=server'), 'configmap/dry created (server dry run)\n');
    assert.ok(await gone('cm', 'dry'));
    await cluster.k('apply', '-f', path);
    const before = await json('cm', 'dry');
    const changed = await writeManifest('dry.yaml', configMap('dry', { data: { k: 'changed' } }));
    assert.equal(await cluster.k('apply', '-f', changed, '--dry-run=server'), 'configmap/dry configured (server dry run)\n');
    assert.equal(await cluster.k('delete', 'cm', 'dry', '--dry-run=server'), 'configmap "dry" deleted (server dry run)\n');
    const afterObj = await json<Meta & { data: Record<string, string> }>('cm', 'dry');
    assert.equal(afterObj.data.k, 'v');
    assert.equal(afterObj.metadata.resourceVersion, before.metadata.resourceVersion);
  });

  it('scale deploy sets spec.replicas through the scale subresource', async () => {
    await applyText(deployment('web'));
    assert.equal(await cluster.k('scale', 'deploy', 'web', '--replicas=5'), 'deployment.apps/web scaled\n');
    assert.equal(await cluster.k('get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}'), '5');
    const r = await cluster.kubectl(['scale', 'deploy', 'web', '--replicas=3', '--current-replicas=2']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Expected replicas to be 2, was 5/);
  });

  it('get -w streams ADDED, MODIFIED and DELETED', async () => {
    const child = spawn('kubectl', ['get', 'configmaps', '-l', 'watched=yes', '-w', '--output-watch-events'], {
      env: { ...process.env, KUBECONFIG: cluster.kubeconfig, HOME: cluster.home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await applyText(configMap('w0', { labels: { watched: 'yes' } }));
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const events = () => parseTable(out).map((row) => `${row.EVENT} ${row.NAME} ${row.DATA}`);
    try {
      // kubectl watches from the resourceVersion of its initial list, so once w0 is printed nothing later is missed.
      await waitFor(`initial list in ${out}${err}`, () => events().includes('ADDED w0 1') || undefined);
      await applyText(configMap('w1', { labels: { watched: 'yes' } }));
      await waitFor(`ADDED in ${out}`, () => events().includes('ADDED w1 1') || undefined);
      await cluster.k('patch', 'cm', 'w1', '--type=merge', '-p', '{"data":{"k2":"v2"}}');
      await waitFor(`MODIFIED in ${out}`, () => events().includes('MODIFIED w1 2') || undefined);
      await cluster.k('delete', 'cm', 'w1');
      await waitFor(`DELETED in ${out}`, () => events().includes('DELETED w1 2') || undefined);
      assert.deepEqual(events(), ['ADDED w0 1', 'ADDED w1 1', 'MODIFIED w1 2', 'DELETED w1 2']);
      assert.match(out, /^EVENT\s+NAME\s+DATA\s+AGE\n/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
      await exited;
    }
  });

  it('label and annotate add, overwrite and remove', async () => {
    await applyText(configMap('meta'));
    assert.equal(await cluster.k('label', 'cm', 'meta', 'tier=web'), 'configmap/meta labeled\n');
    const r = await cluster.kubectl(['label', 'cm', 'meta', 'tier=db']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "error: 'tier' already has a value (web), and --overwrite is false\n");
    assert.equal(await cluster.k('label', 'cm', 'meta', 'tier=db', '--overwrite'), 'configmap/meta labeled\n');
    assert.equal(await cluster.k('get', 'cm', 'meta', '-o', 'jsonpath={.metadata.labels.tier}'), 'db');
    assert.equal(await cluster.k('label', 'cm', 'meta', 'tier-'), 'configmap/meta unlabeled\n');
    assert.equal(await cluster.k('annotate', 'cm', 'meta', 'note=hello'), 'configmap/meta annotated\n');
    assert.equal(await cluster.k('get', 'cm', 'meta', '-o', 'jsonpath={.metadata.annotations.note}'), 'hello');
    assert.equal(await cluster.k('get', 'cm', 'meta', '-o', 'jsonpath={.metadata.labels}'), '');
  });

  it('patch --type=json|merge|strategic', async () => {
    await applyText(deployment('patchme'));
    assert.equal(await cluster.k('patch', 'deploy', 'patchme', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":7}]'), 'deployment.apps/patchme patched\n');
    assert.equal(await cluster.k('get', 'deploy', 'patchme', '-o', 'jsonpath={.spec.replicas}'), '7');
    assert.equal(await cluster.k('patch', 'deploy', 'patchme', '--type=merge', '-p', '{"metadata":{"labels":{"extra":"yes"}}}'), 'deployment.apps/patchme patched\n');
    assert.equal(await cluster.k('get', 'deploy', 'patchme', '-o', 'jsonpath={.metadata.labels.extra}'), 'yes');
    // Strategic merge merges containers by name: the port survives, the image changes.
    const smp = '{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"nginx:1.26"}]}}}}';
    assert.equal(await cluster.k('patch', 'deploy', 'patchme', '--type=strategic', '-p', smp), 'deployment.apps/patchme patched\n');
    const c = JSON.parse(await cluster.k('get', 'deploy', 'patchme', '-o', 'jsonpath={.spec.template.spec.containers}')) as { name: string; image: string; ports: { containerPort: number }[] }[];
    assert.equal(c.length, 1);
    assert.equal(c[0]!.image, 'nginx:1.26');
    assert.equal(c[0]!.ports[0]!.containerPort, 80);
    // kubectl says "no change" when the object it read before patching equals the answer; a status write of
    // the deployment controller in between makes one attempt say "patched", so a few attempts are allowed
    const answers: string[] = [];
    for (let i = 0; i < 5 && !answers.includes('deployment.apps/patchme patched (no change)\n'); i++) answers.push(await cluster.k('patch', 'deploy', 'patchme', '--type=strategic', '-p', smp));
    assert.equal(answers.at(-1), 'deployment.apps/patchme patched (no change)\n', JSON.stringify(answers));
    const bad = await cluster.kubectl(['patch', 'deploy', 'patchme', '--type=json', '-p', '[{"op":"remove","path":"/spec/nothere"}]']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /\/spec\/nothere/);
    assert.equal(await cluster.k('get', 'deploy', 'patchme', '-o', 'jsonpath={.spec.replicas}'), '7');
  });

  it('get --sort-by orders by a field', async () => {
    for (const [n, rank] of [['sort-c', '3'], ['sort-a', '2'], ['sort-b', '1']]) await applyText(configMap(n!, { labels: { sorted: 'yes' }, data: { rank: rank! } }));
    const byName = parseTable(await cluster.k('get', 'cm', '-l', 'sorted=yes', '--sort-by=.metadata.name')).map((r) => r.NAME);
    assert.deepEqual(byName, ['sort-a', 'sort-b', 'sort-c']);
    const byRank = parseTable(await cluster.k('get', 'cm', '-l', 'sorted=yes', '--sort-by=.data.rank')).map((r) => r.NAME);
    assert.deepEqual(byRank, ['sort-b', 'sort-a', 'sort-c']);
  });

  it('-l label selectors with every operator', async () => {
    await applyText(configMap('sel-a', { labels: { sel: '1', env: 'prod', tier: 'web' } }));
    await applyText(configMap('sel-b', { labels: { sel: '1', env: 'dev', tier: 'db' } }));
    await applyText(configMap('sel-c', { labels: { sel: '1', env: 'test' } }));
    await applyText(configMap('sel-d', { labels: { sel: '1' } }));
    const q = async (s: string) => (await names('cm', '-l', `sel=1,${s}`)).map((n) => n.replace('configmap/sel-', ''));
    assert.deepEqual(await q('env=prod'), ['a']);
    assert.deepEqual(await q('env==dev'), ['b']);
    assert.deepEqual(await q('env!=prod'), ['b', 'c', 'd']);
    assert.deepEqual(await q('env in (prod,dev)'), ['a', 'b']);
    assert.deepEqual(await q('env notin (prod,dev)'), ['c', 'd']);
    assert.deepEqual(await q('tier'), ['a', 'b']);
    assert.deepEqual(await q('!tier'), ['c', 'd']);
    assert.deepEqual(await q('env in (prod,dev,test),!tier'), ['c']);
    const bad = await cluster.kubectl(['get', 'cm', '-l', 'env in prod']);
    assert.equal(bad.code, 1);
  });

  it('--field-selector on metadata and pod fields; unsupported fields are a BadRequest', async () => {
    assert.deepEqual(await names('cm', '--field-selector', 'metadata.name=sel-a'), ['configmap/sel-a']);
    assert.ok((await names('cm', '-l', 'sel=1', '--field-selector', 'metadata.name!=sel-a')).every((n) => n !== 'configmap/sel-a'));
    assert.deepEqual(await names('cm', '-A', '--field-selector', 'metadata.namespace=default,metadata.name=sel-b'), ['configmap/sel-b']);
    await applyText('apiVersion: v1\nkind: Pod\nmetadata:\n  name: fs-pod\n  labels:\n    fs: "yes"\nspec:\n  containers:\n  - name: c\n    image: nginx\n');
    // Scoped by label: the Deployment controller may have made Pods of its own.
    assert.deepEqual(await names('pods', '-l', 'fs=yes', '--field-selector', 'status.phase=Pending'), ['pod/fs-pod']);
    assert.deepEqual(await names('pods', '-l', 'fs=yes', '--field-selector', 'spec.nodeName='), ['pod/fs-pod']);
    assert.deepEqual(await names('pods', '-l', 'fs=yes', '--field-selector', 'status.phase=Running'), []);
    assert.deepEqual(await names('pods', '--field-selector', 'metadata.name=fs-pod,status.phase!=Running'), ['pod/fs-pod']);
    const r = await cluster.kubectl(['get', 'cm', '--field-selector', 'bogus=1']);
    assert.equal(r.code, 1);
    // ConfigMaps only know the metadata fields (DefaultMetaV1FieldSelectorConversion); pods have their own table.
    assert.equal(r.stderr, 'Error from server (BadRequest): Unable to find "/v1, Resource=configmaps" that match label selector "", field selector "bogus=1": "bogus" is not a known field selector: only "metadata.name", "metadata.namespace"\n');
    const p = await cluster.kubectl(['get', 'pods', '--field-selector', 'bogus=1']);
    assert.equal(p.code, 1);
    assert.equal(p.stderr, 'Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label selector "", field selector "bogus=1": field label not supported: bogus\n');
  });

  it('get -o yaml shows server-set metadata; managedFields only with --show-managed-fields', async () => {
    const y = await cluster.k('get', 'deploy', 'web', '-o', 'yaml');
    assert.match(y, /^  uid: [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/m);
    assert.match(y, /^  creationTimestamp: "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"$/m);
    assert.match(y, /^  resourceVersion: "\d+"$/m);
    assert.match(y, /^  generation: \d+$/m);
    assert.doesNotMatch(y, /managedFields/);
    const m = await cluster.k('get', 'deploy', 'web', '-o', 'yaml', '--show-managed-fields');
    assert.match(m, /^  managedFields:$/m);
    assert.match(m, /manager: kubectl-client-side-apply/);
    assert.match(m, /operation: Update/);
    assert.match(m, /fieldsType: FieldsV1/);
  });

  it('--chunk-size=2 pages with limit/continue', async () => {
    for (let i = 0; i < 5; i++) await applyText(configMap(`chunk-${i}`, { labels: { chunk: 'yes' } }));
    assert.deepEqual(await names('cm', '-l', 'chunk=yes', '--chunk-size=2'), [0, 1, 2, 3, 4].map((i) => `configmap/chunk-${i}`));
    const table = parseTable(await cluster.k('get', 'cm', '-l', 'chunk=yes', '--chunk-size=2'));
    assert.deepEqual(table.map((r) => r.NAME), [0, 1, 2, 3, 4].map((i) => `chunk-${i}`));
    const seen: string[] = [];
    let cont = '';
    let pages = 0;
    do {
      const url = `/api/v1/namespaces/default/configmaps?labelSelector=chunk%3Dyes&limit=2${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`;
      const page = JSON.parse(await cluster.k('get', '--raw', url)) as { items: { metadata: { name: string } }[]; metadata: { continue?: string; remainingItemCount?: number } };
      assert.ok(page.items.length <= 2);
      seen.push(...page.items.map((i) => i.metadata.name));
      cont = page.metadata.continue ?? '';
      pages++;
    } while (cont && pages < 10);
    assert.equal(pages, 3);
    assert.deepEqual(seen, [0, 1, 2, 3, 4].map((i) => `chunk-${i}`));
  });

  it('replace of a stale object is a 409 Conflict with Kubernetes\' message', async () => {
    const stale = await cluster.k('get', 'deploy', 'web', '-o', 'yaml');
    await cluster.k('label', 'deploy', 'web', 'bump=1');
    const path = await writeManifest('stale.yaml', stale);
    const r = await cluster.kubectl(['replace', '-f', path]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `Error from server (Conflict): error when replacing "${path}": Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again\n`);
    const fresh = await writeManifest('fresh.yaml', await cluster.k('get', 'deploy', 'web', '-o', 'yaml'));
    assert.equal(await cluster.k('replace', '-f', fresh), 'deployment.apps/web replaced\n');
  });

  it('a label change bumps resourceVersion but not generation; a Deployment annotation change bumps both', async () => {
    const before = await json('deploy', 'web');
    await cluster.k('label', 'deploy', 'web', 'touched=yes');
    const labeled = await json('deploy', 'web');
    assert.equal(labeled.metadata.generation, before.metadata.generation);
    assert.ok(Number(labeled.metadata.resourceVersion) > Number(before.metadata.resourceVersion));
    // Kubernetes' Deployment strategy bumps generation on annotation changes (they are copied to ReplicaSets).
    await cluster.k('annotate', 'deploy', 'web', 'touched=yes');
    const annotated = await json('deploy', 'web');
    assert.equal(annotated.metadata.generation, (before.metadata.generation ?? 0) + 1);
  });

  it('generateName gets a random suffix', async () => {
    const r = await cluster.kubectl(['create', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: gen-\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^configmap\/gen-[a-z0-9]{5} created\n$/);
  });

  it('create of an existing object is AlreadyExists', async () => {
    const path = await writeManifest('web.yaml', deployment('web'));
    const r = await cluster.kubectl(['create', '-f', path]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `Error from server (AlreadyExists): error when creating "${path}": deployments.apps "web" already exists\n`);
  });

  describe('cascading deletion of a Deployment that owns a hand-made ReplicaSet', () => {
    async function ownerAndReplicaSet(name: string, finalizers: string[] = []): Promise<void> {
      await applyText(deployment(name));
      const uid = await cluster.k('get', 'deploy', name, '-o', 'jsonpath={.metadata.uid}');
      const fin = finalizers.length ? `  finalizers:\n${finalizers.map((f) => `  - ${f}\n`).join('')}` : '';
      const rs = `apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: ${name}-rs
  labels:
    app: ${name}
${fin}  ownerReferences:
  - apiVersion: apps/v1
    kind: Deployment
    name: ${name}
    uid: ${uid}
    controller: true
    blockOwnerDeletion: true
spec:
  replicas: 0
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
      - name: c
        image: nginx:1.25
`;
      const r = await applyText(rs);
      assert.equal(r.code, 0, r.stderr);
    }

    it('--cascade=background (the default) deletes the owner, then the garbage collector deletes the ReplicaSet', async () => {
      await ownerAndReplicaSet('gc-bg');
      assert.equal(await cluster.k('delete', 'deploy', 'gc-bg', '--cascade=background'), 'deployment.apps "gc-bg" deleted\n');
      assert.ok(await gone('deploy', 'gc-bg'));
      await waitFor('ReplicaSet gc-bg-rs collected', () => gone('rs', 'gc-bg-rs').then((g) => g || undefined));
    });

    it('--cascade=orphan keeps the ReplicaSet and removes its ownerReference', async () => {
      await ownerAndReplicaSet('gc-orphan');
      assert.equal(await cluster.k('delete', 'deploy', 'gc-orphan', '--cascade=orphan'), 'deployment.apps "gc-orphan" deleted\n');
      assert.ok(await gone('deploy', 'gc-orphan'));
      const rs = await json('rs', 'gc-orphan-rs');
      assert.equal(rs.metadata.ownerReferences, undefined);
      assert.equal(rs.metadata.deletionTimestamp, undefined);
    });

    it('--cascade=foreground deletes the dependents before the owner', async () => {
      await ownerAndReplicaSet('gc-fg', ['example.com/hold']);
      assert.equal(await cluster.k('delete', 'deploy', 'gc-fg', '--cascade=foreground', '--wait=false'), 'deployment.apps "gc-fg" deleted\n');
      // The owner waits, marked, while its blocking dependent is being deleted.
      const owner = await waitFor('owner in foreground deletion', async () => {
        const d = await json('deploy', 'gc-fg');
        return d.metadata.deletionTimestamp ? d : undefined;
      });
      assert.deepEqual(owner.metadata.finalizers, ['foregroundDeletion']);
      await waitFor('dependent marked for deletion', async () => ((await json('rs', 'gc-fg-rs')).metadata.deletionTimestamp ? true : undefined));
      assert.ok(!(await gone('deploy', 'gc-fg')), 'owner still present while the dependent exists');
      await cluster.k('patch', 'rs', 'gc-fg-rs', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]');
      await waitFor('ReplicaSet gone', () => gone('rs', 'gc-fg-rs').then((g) => g || undefined));
      await waitFor('owner gone after its dependents', () => gone('deploy', 'gc-fg').then((g) => g || undefined));
    });
  });

  it('deleting a namespace removes its objects, refuses new ones while terminating, then disappears', async () => {
    await applyText(namespaceManifest('doomed'));
    await applyText(deployment('app', { ns: 'doomed' }));
    await applyText(configMap('cfg', { ns: 'doomed' }));
    await applyText(configMap('held', { ns: 'doomed', finalizers: ['example.com/hold'] }));
    await applyText('apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\n  namespace: doomed\nspec:\n  ports:\n  - port: 80\n');
    await applyText('apiVersion: v1\nkind: Pod\nmetadata:\n  name: pod\n  namespace: doomed\nspec:\n  containers:\n  - name: c\n    image: nginx\n');
    assert.equal(await cluster.k('delete', 'ns', 'doomed', '--wait=false'), 'namespace "doomed" deleted\n');
    await waitFor('namespace Terminating', async () => (await cluster.k('get', 'ns', 'doomed', '-o', 'jsonpath={.status.phase}')) === 'Terminating' || undefined);
    const path = await writeManifest('late.yaml', configMap('late', { ns: 'doomed' }));
    const r = await cluster.kubectl(['create', '-f', path]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `Error from server (Forbidden): error when creating "${path}": configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated\n`);
    await waitFor('contents deleted except the held ConfigMap', async () => (await names('cm,svc,deploy,pods', '-n', 'doomed')).join(' ') === 'configmap/held' || undefined);
    await cluster.k('patch', 'cm', 'held', '-n', 'doomed', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]');
    await waitFor('namespace gone', () => gone('ns', 'doomed').then((g) => g || undefined));
    const all = await cluster.kubectl(['get', 'all', '-n', 'doomed']);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stdout, '');
    assert.equal(all.stderr, 'No resources found in doomed namespace.\n');
  });

  it('kubectl delete ns waits until the namespace is gone', async () => {
    await applyText(namespaceManifest('quick'));
    await applyText(configMap('c', { ns: 'quick' }));
    assert.equal(await cluster.k('delete', 'ns', 'quick'), 'namespace "quick" deleted\n');
    assert.ok(await gone('ns', 'quick'));
    assert.equal((await cluster.kubectl(['get', 'all', '-n', 'quick'])).stdout, '');
  });
});
