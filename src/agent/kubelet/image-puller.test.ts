import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../../util/clock.js';
import { ImageCatalog } from '../images/catalog.js';
import { OciImageStore } from '../images/oci/store.js';
import { runTool } from '../images/oci/tools.js';
import { goDuration, ImagePuller, type ImageEvent } from './image-puller.js';
import { buildTestImages, testImageSkipReason, TEST_IMAGE } from '../../../test/support/oci-image.js';

const skip = await testImageSkipReason();
const pod: Pod = { metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec: { containers: [] } };

describe('ImagePuller with an OCI image store', { skip }, () => {
  let dir: string;
  let store: OciImageStore;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-puller-'));
    const built = await buildTestImages(path.join(dir, 'build'));
    store = new OciImageStore({ root: path.join(dir, 'store') });
    await store.importArchive(built.v1);
    // the same image under a loopback registry's name, where nothing listens (port 9: discard)
    const unreachable = path.join(dir, 'unreachable.tar');
    await runTool(['skopeo', 'copy', '--quiet', `oci:${built.layout}:v2`, `oci-archive:${unreachable}:127.0.0.1:9/skiff-test/web:v2`]);
    await store.importArchive(unreachable);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const puller = () => new ImagePuller({ catalog: new ImageCatalog({ nginxPath: null }), clock: new FakeClock(), oci: store, initialBackoffMs: 10_000 });
  const pull = async (p: ImagePuller, container: Container) => {
    const events: ImageEvent[] = [];
    const r = await p.pull({ container, pod, key: `default/p/${container.name}`, emit: (e) => events.push(e) });
    return { r, events: events.map((e) => `${e.reason}: ${e.message}`) };
  };

  test('an image of the store runs on the OCI runtime, with containerd\'s imageID', async () => {
    const { r, events } = await pull(puller(), { name: 'web', image: 'skiff-test/web:v1' });
    assert.ok(r.ok && r.resolved.kind === 'oci');
    const img = (await store.imageStatus(`${TEST_IMAGE}:v1`))!;
    assert.equal(r.resolved.imageID, `${TEST_IMAGE}@${img.digest}`);
    assert.deepEqual(events, ['Pulled: Container image "skiff-test/web:v1" already present on machine']);
  });

  test('an image the store lacks but the catalog maps runs on the process runtime', async () => {
    const { r } = await pull(puller(), { name: 'sh', image: 'busybox:1.36' });
    assert.ok(r.ok && r.resolved.kind === 'process');
    assert.equal(r.resolved.spec.source, 'builtin:toolbox');
  });

  test('Never: a stored image runs, a missing one is ErrImageNeverPull', async () => {
    const p = puller();
    assert.ok((await pull(p, { name: 'a', image: 'skiff-test/web:v1', imagePullPolicy: 'Never' })).r.ok);
    const { r, events } = await pull(p, { name: 'b', image: 'skiff-test/absent:v1', imagePullPolicy: 'Never' });
    assert.ok(!r.ok && r.reason === 'ErrImageNeverPull');
    assert.deepEqual(events, ['ErrImageNeverPull: Container image "skiff-test/absent:v1" is not present with pull policy of Never']);
  });

  test('Always re-pulls a stored image from its registry: unreachable, ErrImagePull then ImagePullBackOff', async () => {
    const p = puller();
    const c: Container = { name: 'web', image: '127.0.0.1:9/skiff-test/web:v2', imagePullPolicy: 'Always' };
    const first = await pull(p, c);
    assert.ok(!first.r.ok && first.r.reason === 'ErrImagePull');
    assert.equal(first.events[0], 'Pulling: Pulling image "127.0.0.1:9/skiff-test/web:v2"');
    assert.match(first.events[1]!, /^Failed: Failed to pull image "127\.0\.0\.1:9\/skiff-test\/web:v2": .*(connection refused|connect)/);
    assert.equal(first.events[2], 'Failed: Error: ErrImagePull');
    const second = await pull(p, c);
    assert.ok(!second.r.ok && second.r.reason === 'ImagePullBackOff');
    assert.deepEqual(second.events, ['BackOff: Back-off pulling image "127.0.0.1:9/skiff-test/web:v2"', 'Failed: Error: ImagePullBackOff']);
    // the same image with IfNotPresent is used as stored
    assert.ok((await pull(p, { ...c, name: 'other', imagePullPolicy: 'IfNotPresent' })).r.ok);
  });
});

test('goDuration prints Go time.Duration strings', () => {
  assert.deepEqual([0, 7, 512, 1000, 1200, 1234, 61_500, 3_723_000].map(goDuration), ['0s', '7ms', '512ms', '1s', '1.2s', '1.234s', '1m1.5s', '1h2m3s']);
});
