import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OciImageStore } from './store.js';
import { runTool } from './tools.js';
import { buildTestImages, testImageSkipReason, TEST_CMD, TEST_ENTRYPOINT, TEST_IMAGE, type TestImageArchives } from '../../../../test/support/oci-image.js';

const skip = await testImageSkipReason();

describe('OciImageStore', { skip }, () => {
  let dir: string;
  let archives: TestImageArchives;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-images-'));
    archives = await buildTestImages(path.join(dir, 'build'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const store = (name: string) => new OciImageStore({ root: path.join(dir, name) });

  test('imports OCI archives and unpacks each image config once', async () => {
    const s = store('import');
    const [v1] = await s.importArchive(archives.v1);
    assert.equal(v1!.ref, `${TEST_IMAGE}:v1`);
    assert.match(v1!.id, /^sha256:[0-9a-f]{64}$/);
    assert.match(v1!.digest, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(v1!.config.Entrypoint, TEST_ENTRYPOINT);
    assert.deepEqual(v1!.config.Cmd, TEST_CMD);
    assert.equal(v1!.config.WorkingDir, '/www');
    assert.ok(v1!.config.Env?.includes('SKIFF_TEST_IMAGE=v1'));
    assert.match(fs.readFileSync(path.join(v1!.rootfs, 'etc/os-release'), 'utf8'), /VERSION_ID=v1/);
    assert.equal(fs.readFileSync(path.join(v1!.rootfs, 'www/index.html'), 'utf8'), 'v1\n');
    assert.ok(v1!.sizeBytes > fs.statSync('/bin/busybox').size / 2, `size ${v1!.sizeBytes} counts the layer`);
    const marker = path.join(v1!.rootfs, '.unpacked-once');
    fs.writeFileSync(marker, '');
    const [again] = await s.importArchive(archives.v1);
    assert.equal(again!.id, v1!.id);
    assert.ok(fs.existsSync(marker), 'a second import keeps the unpacked rootfs');
    fs.rmSync(marker);
    const [v2] = await s.importArchive(archives.v2);
    assert.notEqual(v2!.id, v1!.id);
    assert.deepEqual((await s.listImages()).map((i) => i.ref).sort(), [`${TEST_IMAGE}:v1`, `${TEST_IMAGE}:v2`]);
  });

  test('imports a docker save archive under its RepoTags name', async () => {
    const s = store('docker');
    const [img] = await s.importArchive(archives.dockerV1);
    assert.equal(img!.ref, `${TEST_IMAGE}:v1-docker`);
    assert.match(fs.readFileSync(path.join(img!.rootfs, 'etc/os-release'), 'utf8'), /VERSION_ID=v1/);
  });

  test('imageStatus finds an image by name, familiar name, repo@digest and ID prefix', async () => {
    const s = store('status');
    const [v1] = await s.importArchive(archives.v1);
    for (const ref of [`${TEST_IMAGE}:v1`, 'skiff-test/web:v1', `skiff-test/web@${v1!.digest}`, v1!.id, v1!.id.slice(7, 19)]) {
      assert.equal((await s.imageStatus(ref))?.id, v1!.id, ref);
    }
    assert.equal(await s.imageStatus('skiff-test/web:v9'), undefined);
    assert.equal(await s.imageStatus('skiff-test/other@' + v1!.digest), undefined);
  });

  test('removeImage drops the name, then the rootfs and blobs no image needs', async () => {
    const s = store('rm');
    const [v1] = await s.importArchive(archives.v1);
    const [v2] = await s.importArchive(archives.v2);
    await s.removeImage('skiff-test/web:v2');
    assert.deepEqual((await s.listImages()).map((i) => i.ref), [`${TEST_IMAGE}:v1`]);
    assert.ok(!fs.existsSync(v2!.rootfs), 'v2 rootfs removed');
    assert.ok(fs.existsSync(path.join(v1!.rootfs, 'bin/busybox')), 'v1 rootfs kept');
    const blobs = fs.readdirSync(path.join(s.root, 'blobs/sha256'));
    assert.ok(!blobs.includes(v2!.digest.slice(7)), 'v2 manifest blob collected');
    assert.ok(blobs.includes(v1!.id.slice(7)), 'v1 config blob kept');
    await assert.rejects(s.removeImage('skiff-test/web:v2'), { code: 'NotFound', message: 'no such image: "skiff-test/web:v2"' });
  });

  test('removeImage is refused while a container holds the image', async () => {
    const s = store('lease');
    const [v1] = await s.importArchive(archives.v1);
    s.leases.acquire('uid1_web', { imageId: v1!.id, container: 'default/web-1/web' });
    await assert.rejects(s.removeImage(`${TEST_IMAGE}:v1`), {
      code: 'Conflict',
      message: `conflict: unable to remove repository reference "${TEST_IMAGE}:v1" - container default/web-1/web is using its referenced image ${v1!.id.slice(7, 19)}`,
    });
    s.leases.release('uid1_web');
    await s.removeImage(`${TEST_IMAGE}:v1`);
    assert.deepEqual(await s.listImages(), []);
  });

  test('a tag re-pointed to a new image keeps the old rootfs while a container runs on it', async () => {
    const s = store('repoint');
    const [old] = await s.importArchive(archives.v1);
    s.leases.acquire('uid2_web', { imageId: old!.id, container: 'default/web-2/web' });
    // v2's content under v1's name, as a re-pull of a moved tag brings
    const moved = path.join(dir, 'moved.tar');
    await runTool(['skopeo', 'copy', '--quiet', `oci:${archives.layout}:v2`, `oci-archive:${moved}:${TEST_IMAGE}:v1`]);
    const [now] = await s.importArchive(moved);
    assert.notEqual(now!.id, old!.id);
    assert.ok(fs.existsSync(path.join(old!.rootfs, 'bin/busybox')), 'the running container\'s rootfs stays');
    s.leases.release('uid2_web');
    await s.importArchive(archives.v2);
    assert.ok(!fs.existsSync(old!.rootfs), 'collected once no container holds it');
  });

  test('two store objects on one directory import side by side (the store lock)', async () => {
    const a = store('shared');
    const b = store('shared');
    await Promise.all([a.importArchive(archives.v1), b.importArchive(archives.v2)]);
    assert.deepEqual((await a.listImages()).map((i) => i.ref).sort(), [`${TEST_IMAGE}:v1`, `${TEST_IMAGE}:v2`]);
    assert.ok(!fs.existsSync(path.join(a.root, 'store.lock')), 'the lock is released');
  });

  test('a file that is no image archive gets a clear error and changes nothing', async () => {
    const s = store('bad');
    const file = path.join(dir, 'not-an-image.tar');
    fs.writeFileSync(file, 'hello');
    await assert.rejects(s.importArchive(file), /not an OCI archive \(index\.json\) nor a docker save archive/);
    await assert.rejects(s.importArchive(path.join(dir, 'missing.tar')), { code: 'NotFound', message: /no such file or directory/ });
    assert.deepEqual(await s.listImages(), []);
  });
});
