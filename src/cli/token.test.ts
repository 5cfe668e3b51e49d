import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveToken } from './token.js';

test('the token comes from --token, else --token-file (first line), else SKIFF_TOKEN', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-token-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'token');
  writeFileSync(file, 'from-file\nignored\n', { mode: 0o600 });
  assert.equal(resolveToken({ token: 'flag', tokenFile: file }, { SKIFF_TOKEN: 'env' }), 'flag');
  assert.equal(resolveToken({ tokenFile: file }, { SKIFF_TOKEN: 'env' }), 'from-file');
  assert.equal(resolveToken({}, { SKIFF_TOKEN: ' env \n' }), 'env');
  assert.equal(resolveToken({}, {}), undefined);
  assert.throws(() => resolveToken({ tokenFile: join(dir, 'missing') }, {}), /--token-file: cannot read .*missing: ENOENT/);
  writeFileSync(join(dir, 'empty'), '\n');
  assert.throws(() => resolveToken({ tokenFile: join(dir, 'empty') }, {}), /is empty/);
});
