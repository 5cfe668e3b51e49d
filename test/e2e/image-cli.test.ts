/** `skiff image import|ls|rm` on a data dir with no server running: the real binary, the store on disk. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, skiffBin } from '../support/cluster.js';
import { buildTestImages, testImageSkipReason, type TestImageArchives } from '../support/oci-image.js';

const skip = await testImageSkipReason();

describe('skiff image', { skip }, () => {
  let dir: string;
  let archives: TestImageArchives;
  const skiff = (...args: string[]) => run(process.execPath, [skiffBin, 'image', ...args, '--data-dir', path.join(dir, 'data')]);
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-image-cli-'));
    archives = await buildTestImages(path.join(dir, 'build'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('import OCI and docker archives, list them as crictl images does, remove one', async () => {
    const imported = await skiff('import', archives.v1, archives.v2, archives.dockerV1);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /^unpacked docker\.io\/skiff-test\/web:v1 \(sha256:[0-9a-f]{64}\)\.\.\.done$/m);
    assert.match(imported.stdout, /^unpacked docker\.io\/skiff-test\/web:v1-docker /m);
    const ls = await skiff('ls');
    assert.equal(ls.code, 0, ls.stderr);
    const lines = ls.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^IMAGE\s{3,}TAG\s{3,}IMAGE ID\s{3,}SIZE$/);
    assert.deepEqual(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2).join(':')), ['docker.io/skiff-test/web:v1', 'docker.io/skiff-test/web:v1-docker', 'docker.io/skiff-test/web:v2']);
    for (const l of lines.slice(1)) assert.match(l, /\s[0-9a-f]{13}\s+\d+(\.\d+)?[kM]B$/, l);
    const rm = await skiff('rm', 'skiff-test/web:v2');
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(rm.stdout, 'Deleted: docker.io/skiff-test/web:v2\n');
    assert.doesNotMatch((await skiff('ls')).stdout, /web\s+v2/);
  });

  test('bad input: a clear error, exit code 1, the store unchanged', async () => {
    const before = (await skiff('ls')).stdout;
    const missing = await skiff('rm', 'skiff-test/nothing:v1');
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'skiff: no such image: "skiff-test/nothing:v1"\n');
    const notTar = path.join(dir, 'x.tar');
    fs.writeFileSync(notTar, 'not a tar');
    const bad = await skiff('import', notTar);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not an OCI archive \(index\.json\) nor a docker save archive \(manifest\.json\)/);
    assert.equal((await skiff('ls')).stdout, before);
  });
});
