import { afterEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import fs, { mkdtempSync, rmSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from './sqlite.js';
import { isStorageError, textEncoder } from './store.js';

type Callback = (err: NodeJS.ErrnoException | null) => void;

/** Holds every fdatasync until released, as a slow disk would. */
function holdFsyncs(): { pending: Callback[]; release: (err?: NodeJS.ErrnoException) => void } {
  const pending: Callback[] = [];
  mock.method(fs, 'fdatasync', (_fd: number, cb: Callback) => pending.push(cb));
  syncBuiltinESMExports();
  return { pending, release: (err) => pending.splice(0).forEach((cb) => cb(err ?? null)) };
}

const settled = () => new Promise((r) => setTimeout(r, 20));

describe('SqliteStore: writes wait for the WAL fsync', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-walsync-'));
  afterEach(() => {
    mock.restoreAll();
    syncBuiltinESMExports();
  });

  it('acknowledges and publishes a write only once its fsync is done, and serves reads up to it then', async () => {
    const fsyncs = holdFsyncs();
    const store = new SqliteStore({ path: join(dir, 'a.db') });
    const abort = new AbortController();
    const watcher = store.watch('/p/', { afterRevision: 0, signal: abort.signal });
    const events = watcher.events[Symbol.asyncIterator]();
    let acked = false;
    const write = store.create('/p/a', textEncoder.encode('a')).then((kv) => ((acked = true), kv));
    await settled();
    assert.equal(fsyncs.pending.length, 1, 'the commit asked for an fsync');
    assert.equal(acked, false, 'no answer before the fsync');
    assert.equal(await store.currentRevision(), 0, 'lists are not served at a revision not yet durable');
    // a second commit while the first fsync is in flight waits for an fsync of its own
    const second = store.create('/p/b', textEncoder.encode('b'));
    await settled();
    assert.equal(fsyncs.pending.length, 1, 'one fsync at a time');
    fsyncs.release();
    const kv = await write;
    assert.equal((await events.next()).value?.kv.key, '/p/a');
    assert.equal(await store.currentRevision(), kv.modRevision);
    await settled();
    assert.equal(fsyncs.pending.length, 1, 'the next fsync covers the second commit');
    fsyncs.release();
    await second;
    assert.equal((await events.next()).value?.kv.key, '/p/b');
    abort.abort();
    await store.close();
  });

  it('after a failed fsync, the writes it covered and every later one fail as Unavailable', async () => {
    const fsyncs = holdFsyncs();
    const store = new SqliteStore({ path: join(dir, 'b.db') });
    const write = store.create('/p/a', textEncoder.encode('a'));
    await settled();
    fsyncs.release(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    await assert.rejects(write, (err) => isStorageError(err, 'Unavailable') && /fsync of .*b\.db-wal: EIO/.test(err.message));
    await assert.rejects(store.create('/p/b', textEncoder.encode('b')), (err) => isStorageError(err, 'Unavailable'));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
