import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runStoreConformance } from './conformance.js';
import { EtcdStore } from './etcd.js';
import { textDecoder, textEncoder } from './store.js';
import { etcdUnavailableReason, startEtcd, type RunningEtcd } from '../../test/support/etcd.js';

const unavailable = etcdUnavailableReason();
if (unavailable) {
  // Skip loudly: the report shows the reason instead of a silent pass.
  describe('EtcdStore', { skip: `etcd not available: ${unavailable}` }, () => {
    it('runs the Store conformance suite against a real etcd', () => {});
  });
} else {
  let etcd: RunningEtcd | undefined;
  let stores = 0;
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd?.stop();
  });
  // Each store gets its own key prefix in the one etcd, so tests cannot see each other's keys.
  const factory = async () => {
    const store = new EtcdStore({ endpoints: [etcd!.endpoint], prefix: `/t${++stores}.` });
    return { store, cleanup: () => store.close() };
  };
  runStoreConformance('etcd', factory);

  describe('EtcdStore specifics', () => {
    it('stores with different prefixes do not see each other', async () => {
      const { store: a, cleanup: ca } = await factory();
      const { store: b, cleanup: cb } = await factory();
      try {
        await a.create('/k', textEncoder.encode('a'));
        assert.equal(await b.get('/k'), undefined);
        await b.create('/k', textEncoder.encode('b'));
        assert.equal(textDecoder.decode((await a.get('/k'))!.value), 'a');
        assert.deepEqual((await a.list('')).items.map((kv) => kv.key), ['/k']);
      } finally {
        await ca();
        await cb();
      }
    });

    it('surfaces a compaction it learns from the server through the watch iterator', async () => {
      const { store: writer, cleanup: cw } = await factory();
      const { store: watcherStore, cleanup: cr } = await factory();
      try {
        const first = await writer.create('/c/a', textEncoder.encode('1'));
        await writer.update('/c/a', textEncoder.encode('2'), first.modRevision);
        await writer.compact(await writer.currentRevision());
        // watcherStore has not seen the compaction: etcd itself cancels the watch.
        const ac = new AbortController();
        const watcher = watcherStore.watch('/c/', { afterRevision: first.modRevision - 1, signal: ac.signal });
        await assert.rejects(
          (async () => {
            for await (const _ of watcher.events) assert.fail('no event expected from a compacted revision');
          })(),
          (err) => (err as { code?: string }).code === 'Compacted',
        );
        ac.abort();
        assert.equal(await watcherStore.compactRevision(), await writer.compactRevision());
      } finally {
        await cw();
        await cr();
      }
    });

    it('lets the node process exit after watches end and the store closes', async () => {
      const script = fileURLToPath(new URL('../../test/support/etcd-exit-check.ts', import.meta.url));
      const child = spawn(process.execPath, ['--import', 'tsx', script, etcd!.endpoint], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<'hung'>((resolve) => {
        timer = setTimeout(() => resolve('hung'), 20_000);
      });
      const result = await Promise.race([exited, hung]);
      clearTimeout(timer);
      if (result === 'hung') {
        child.kill('SIGKILL');
        await exited;
      }
      assert.equal(out.trim(), 'closed');
      assert.equal(result, 0, 'process did not exit on its own after close (leaked etcd handles)');
    });

    it('maps an unreachable etcd to Unavailable', async () => {
      const store = new EtcdStore({ endpoints: ['http://127.0.0.1:1'] });
      try {
        await assert.rejects(store.get('/x'), (err) => (err as { code?: string }).code === 'Unavailable');
      } finally {
        await store.close();
      }
    });
  });
}
