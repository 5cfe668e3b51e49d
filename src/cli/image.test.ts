import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanSize, imageTable } from './image.js';

test('humanSize: go-units HumanSizeWithPrecision(size, 3), as crictl images prints SIZE', () => {
  assert.deepEqual([0, 999, 1000, 1_082_345, 56_700_000, 1_234_567_890].map(humanSize), ['0B', '999B', '1kB', '1.08MB', '56.7MB', '1.23GB']);
});

test('imageTable: crictl columns, 13-digit IDs, <none> for digest-only references', () => {
  const id = `sha256:${'ab'.repeat(32)}`;
  const base = { id, digest: id, rootfs: '/x', config: {}, sizeBytes: 1_082_345 };
  const out = imageTable([{ ...base, ref: 'docker.io/skiff-test/web:v1' }, { ...base, ref: `127.0.0.1:5000/team/web@${id}` }]);
  assert.equal(
    out,
    'IMAGE                      TAG                 IMAGE ID            SIZE\n' +
      `127.0.0.1:5000/team/web    <none>              ababababababa       1.08MB\n` +
      `docker.io/skiff-test/web   v1                  ababababababa       1.08MB\n`,
  );
});
