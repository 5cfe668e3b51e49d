import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { runStoreConformance } from './conformance.js';
import { SqliteStore } from './sqlite.js';
import { textDecoder, textEncoder } from './store.js';

function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-sqlite-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

runStoreConformance('sqlite', async () => {
  const { dir, remove } = tempDir();
  const store = new SqliteStore({ path: join(dir, 'nested', 'state.db') });
  return {
    store,
    cleanup: async () => {
      await store.close();
      remove();
    },
  };
});

describe('SqliteStore persistence', () => {
  it('keeps data, history and the revision counter across reopen', async () => {
    const { dir, remove } = tempDir();
    const path = join(dir, 'state.db');
    try {
      const first = new SqliteStore({ path });
      const a = await first.create('/p/a', textEncoder.encode('a1'));
      await first.update('/p/a', textEncoder.encode('a2'), a.modRevision);
      await first.create('/p/b', textEncoder.encode('b1'));
      const deleted = await first.delete('/p/b');
      const last = await first.currentRevision();
      await first.compact(last);
      await first.close();
      await assert.rejects(first.get('/p/a'), (err) => (err as { code?: string }).code === 'Closed');

      const second = new SqliteStore({ path });
      try {
        assert.equal(await second.currentRevision(), last);
        assert.equal(await second.compactRevision(), last);
        // Compaction physically removed superseded rows and tombstones: only /p/a's latest row is left.
        const raw = new Database(path, { readonly: true });
        assert.equal((raw.prepare('SELECT COUNT(*) AS n FROM kine').get() as { n: number }).n, 1);
        raw.close();
        assert.equal(textDecoder.decode((await second.get('/p/a'))!.value), 'a2');
        assert.equal(await second.get('/p/b'), undefined);
        const c = await second.create('/p/c', textEncoder.encode('c1'));
        assert.ok(c.modRevision > deleted.modRevision);
        // Recreating the deleted (and compacted) key continues the counter too.
        const b2 = await second.create('/p/b', textEncoder.encode('b2'));
        assert.ok(b2.modRevision > c.modRevision);
      } finally {
        await second.close();
      }
    } finally {
      remove();
    }
  });

  it('keeps every acknowledged write when the writer is killed with SIGKILL', async () => {
    const { dir, remove } = tempDir();
    const path = join(dir, 'crash.db');
    const script = fileURLToPath(new URL('../../test/support/sqlite-crash-writer.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const acked = new Map<string, number>();
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${acked.size} writes acknowledged`)), 30_000);
        child.once('exit', () => reject(new Error('writer exited before it was killed')));
        createInterface({ input: child.stdout! }).on('line', (line) => {
          const [key, rev] = line.split(' ');
          acked.set(key!, Number(rev));
          if (acked.size === 300) {
            clearTimeout(timer);
            child.kill('SIGKILL');
            resolve();
          }
        });
      });
      assert.equal(await exited, 'SIGKILL');
      const store = new SqliteStore({ path });
      try {
        const maxAcked = Math.max(...acked.values());
        for (const [key, rev] of acked) {
          const kv = await store.get(key);
          assert.ok(kv, `acknowledged key ${key} lost`);
          assert.equal(kv.modRevision, rev);
        }
        assert.ok((await store.currentRevision()) >= maxAcked);
        const next = await store.create('/crash/after', textEncoder.encode('x'));
        assert.ok(next.modRevision > maxAcked);
      } finally {
        await store.close();
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      remove();
    }
  });
});
