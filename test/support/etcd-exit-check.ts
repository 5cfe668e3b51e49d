// Child process for the etcd handle-leak test: opens watches (one aborted, one left open), closes
// the store, and must then exit on its own; the parent fails the test if it does not.
import { EtcdStore } from '../../src/storage/etcd.js';
import { textEncoder } from '../../src/storage/store.js';

const endpoint = process.argv[2];
if (!endpoint) throw new Error('usage: etcd-exit-check <endpoint>');
const store = new EtcdStore({ endpoints: [endpoint], prefix: '/exit-check' });
const from = await store.currentRevision();
const aborted = new AbortController();
const open = new AbortController();
const first = store.watch('/a/', { afterRevision: from, signal: aborted.signal });
const second = store.watch('/a/', { afterRevision: from, signal: open.signal });
await store.create(`/a/${process.pid}`, textEncoder.encode('x'));
for await (const _ of first.events) break; // the watch is live: an event arrived
aborted.abort();
const pending = second.events[Symbol.asyncIterator]().next();
await store.close();
await pending;
process.stdout.write('closed\n');
