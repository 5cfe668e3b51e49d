import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { secureDataDir } from './file-modes.js';
import { SqliteStore } from './sqlite.js';
import { textEncoder } from './store.js';

const mode = (p: string) => statSync(p).mode & 0o777;

test('the SQLite database and its -wal/-shm are 0600, in a 0700 directory skiff creates', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-modes-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'server', 'db', 'state.db');
  const store = new SqliteStore({ path });
  await store.create('/registry/secrets/default/s', textEncoder.encode('{}'));
  for (const f of [path, `${path}-wal`, `${path}-shm`]) assert.equal(mode(f), 0o600, f);
  assert.equal(mode(join(dir, 'server', 'db')), 0o700);
  await store.close();
  // files an older version left readable are fixed when the store opens them again
  chmodSync(path, 0o644);
  const again = new SqliteStore({ path });
  await again.create('/registry/secrets/default/t', textEncoder.encode('{}'));
  for (const f of [path, `${path}-wal`, `${path}-shm`]) assert.equal(mode(f), 0o600, f);
  await again.close();
});

test('secureDataDir: the data dir becomes 0700 and pod logs 0600; image trees are left alone', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-modes-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const logs = join(dir, 'agent', 'pods', 'uid', 'logs', 'c');
  mkdirSync(logs, { recursive: true });
  writeFileSync(join(logs, '0.log'), 'x', { mode: 0o644 });
  const image = join(dir, 'agent', 'images', 'busybox', 'rootfs', 'logs');
  mkdirSync(image, { recursive: true });
  writeFileSync(join(image, 'keep'), 'x', { mode: 0o644 });
  secureDataDir(dir);
  assert.equal(mode(dir), 0o700);
  assert.equal(mode(join(logs, '0.log')), 0o600);
  assert.equal(mode(join(image, 'keep')), 0o644);
});
