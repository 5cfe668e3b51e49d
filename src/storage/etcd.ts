import { Etcd3, type IKeyValue } from 'etcd3';
import { StorageError, type KeyValue, type ListOptions, type ListResult, type Store, type StoreEvent, type Watcher, type WatchOptions } from './store.js';
import { replayThenSubscribe, type EventQueue } from './event-queue.js';

export interface EtcdStoreOptions {
  endpoints: string[];
  /**
   * Prepended to every key, so several stores can share one etcd. Raw byte prefix: it must not
   * itself be a prefix of another store's (use '/skiff-a' and '/skiff-b', not '/s1' and '/s10').
   */
  prefix?: string;
}

/** Bound on waiting for etcd to confirm a watch cancellation at close. */
const CANCEL_DEADLINE_MS = 2_000;

/**
 * The etcd driver: every write is a txn that compares mod_revision (or create_revision for create),
 * so concurrent API servers stay correct. Revisions are etcd's own (global across prefixes).
 */
export class EtcdStore implements Store {
  private readonly client: Etcd3;
  private readonly prefix: string;
  /** Open watches: stop() cancels the etcd watcher once and resolves when etcd confirms. */
  private readonly watches = new Set<{ queue: EventQueue; stop: () => Promise<void> }>();
  /** Compact revision last learned (from our compactions or from probing); it only grows. */
  private knownCompact = 0;
  private closed = false;

  constructor(options: EtcdStoreOptions) {
    this.client = new Etcd3({ hosts: options.endpoints });
    this.prefix = options.prefix ?? '';
  }

  async create(key: string, value: Uint8Array): Promise<KeyValue> {
    const k = this.key(key);
    const res = await this.call(() =>
      this.client.kv.txn({
        compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [{ request_put: { key: k, value: toBuffer(value) } }],
      }),
    );
    if (!res.succeeded) throw new StorageError('KeyExists', `key exists: ${key}`);
    const rev = Number(res.header.revision);
    return { key, value, createRevision: rev, modRevision: rev };
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.call(() => this.client.kv.range({ key: this.key(key) }));
    const kv = res.kvs[0];
    return kv ? this.toKeyValue(kv) : undefined;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    const start = this.key(prefix);
    const after = options.startAfter;
    const from = after !== undefined && after >= prefix ? Buffer.concat([this.key(after), Buffer.from([0])]) : start;
    const res = await this.call(() =>
      this.client.kv.range({
        key: from,
        range_end: rangeEnd(start),
        revision: options.revision || 0,
        limit: options.limit || 0,
      }),
    );
    const items = res.kvs.map((kv) => this.toKeyValue(kv));
    const remaining = Number(res.count) - items.length;
    return { items, revision: options.revision || Number(res.header.revision), more: res.more, remaining };
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<KeyValue> {
    const k = this.key(key);
    const res = await this.call(() =>
      this.client.kv.txn({
        compare: [
          { key: k, target: 'Version', result: 'Greater', version: 0 },
          { key: k, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision },
        ],
        success: [{ request_put: { key: k, value: toBuffer(value), prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!res.succeeded) throw this.writeFailure(key, res.responses[0]?.response_range.kvs[0], expectedModRevision);
    const prev = res.responses[0]!.response_put.prev_kv;
    return { key, value, createRevision: Number(prev.create_revision), modRevision: Number(res.header.revision) };
  }

  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    const k = this.key(key);
    const guard =
      expectedModRevision === undefined
        ? { key: k, target: 'Version' as const, result: 'Greater' as const, version: 0 }
        : { key: k, target: 'Mod' as const, result: 'Equal' as const, mod_revision: expectedModRevision };
    const res = await this.call(() =>
      this.client.kv.txn({
        compare: [guard],
        success: [{ request_delete_range: { key: k, prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!res.succeeded) throw this.writeFailure(key, res.responses[0]?.response_range.kvs[0], expectedModRevision);
    const prev = this.toKeyValue(res.responses[0]!.response_delete_range.prev_kvs[0]!);
    return { ...prev, modRevision: Number(res.header.revision) };
  }

  watch(prefix: string, options: WatchOptions): Watcher {
    this.assertOpen();
    // etcd replays from the start revision itself: the watcher is the subscription.
    return replayThenSubscribe({ options, compacted: this.knownCompact, subscribe: (queue) => this.etcdWatch(prefix, options.afterRevision, queue) });
  }

  private etcdWatch(prefix: string, afterRevision: number, queue: EventQueue): () => void {
    const start = this.key(prefix);
    const watcher = this.client
      .watch()
      .inRange({ start, end: rangeEnd(start) })
      .startRevision(String(afterRevision + 1))
      .withPreviousKV()
      .watcher();
    let live = true;
    const entry = {
      queue,
      stop: async (): Promise<void> => {
        this.watches.delete(entry);
        // A watcher etcd already canceled must not be canceled again: detach would wait forever.
        if (!live) return;
        live = false;
        await watcher.cancel().catch(() => {});
      },
    };
    this.watches.add(entry);
    watcher.on('put', (kv, prev) => queue.push(this.putEvent(kv, prev)));
    watcher.on('delete', (kv, prev) => queue.push(this.deleteEvent(kv, prev)));
    watcher.on('error', (err: Error) => {
      live = false;
      queue.fail(watchError(err, afterRevision));
    });
    return () => void entry.stop();
  }

  async currentRevision(): Promise<number> {
    // any single-key range answers with the store's revision in its header; an empty key is refused by etcd
    // ("key is not provided") when the store has no prefix
    const res = await this.call(() => this.client.kv.range({ key: this.key('\0revision'), count_only: true }));
    return Number(res.header.revision);
  }

  async compact(revision: number): Promise<void> {
    const target = Math.min(revision, await this.currentRevision());
    if (target <= this.knownCompact) return;
    try {
      // physical: return only once the compaction is applied, so older reads fail right after.
      await this.call(() => this.client.kv.compact({ revision: target, physical: true }));
    } catch (err) {
      if (!(err instanceof StorageError && err.code === 'Compacted')) throw err; // already compacted further
    }
    this.knownCompact = Math.max(this.knownCompact, target);
  }

  /**
   * etcd 3.4 does not report its compact revision, so probe: a read at revision r succeeds iff
   * r >= compact revision. One probe when nothing changed, a binary search otherwise.
   */
  async compactRevision(): Promise<number> {
    const known = Math.max(this.knownCompact, 1);
    if (await this.readableAt(known)) return this.knownCompact;
    let lo = known + 1;
    let hi = await this.currentRevision();
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (await this.readableAt(mid)) hi = mid;
      else lo = mid + 1;
    }
    this.knownCompact = Math.max(this.knownCompact, lo);
    return this.knownCompact;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Cancel every etcd watcher before closing the channel, or its reconnect timer keeps node alive.
    const open = [...this.watches];
    const cancels = open.map((w) => w.stop());
    for (const w of open) w.queue.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(cancels),
      new Promise((resolve) => {
        timer = setTimeout(resolve, CANCEL_DEADLINE_MS);
      }),
    ]);
    clearTimeout(timer);
    this.client.close();
  }

  private async readableAt(revision: number): Promise<boolean> {
    try {
      await this.call(() => this.client.kv.range({ key: this.key('\0revision'), revision, count_only: true }));
      return true;
    } catch (err) {
      if (err instanceof StorageError && err.code === 'Compacted') return false;
      throw err;
    }
  }

  private writeFailure(key: string, current: IKeyValue | undefined, expected: number | undefined): StorageError {
    if (!current) return new StorageError('NotFound', `key not found: ${key}`);
    const kv = this.toKeyValue(current);
    return new StorageError('Conflict', `modRevision is ${kv.modRevision}, expected ${expected}`, kv);
  }

  private putEvent(kv: IKeyValue, prev: IKeyValue | undefined): StoreEvent {
    const current = this.toKeyValue(kv);
    if (current.createRevision === current.modRevision) return { type: 'create', kv: current };
    return { type: 'update', kv: current, ...(prev ? { prevKv: this.toKeyValue(prev) } : {}) };
  }

  private deleteEvent(kv: IKeyValue, prev: IKeyValue | undefined): StoreEvent {
    const modRevision = Number(kv.mod_revision);
    if (!prev) {
      // etcd omits prev_kv when it was compacted away; the delete still happened.
      return { type: 'delete', kv: { key: this.unkey(kv.key), value: new Uint8Array(), createRevision: 0, modRevision } };
    }
    const prevKv = this.toKeyValue(prev);
    return { type: 'delete', kv: { ...prevKv, modRevision }, prevKv };
  }

  private toKeyValue(kv: IKeyValue): KeyValue {
    return {
      key: this.unkey(kv.key),
      value: kv.value,
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
    };
  }

  private key(key: string): Buffer {
    return Buffer.from(this.prefix + key);
  }

  private unkey(key: Buffer): string {
    return key.toString('utf8').slice(this.prefix.length);
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await fn();
    } catch (err) {
      throw storageError(err);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageError('Closed', 'store is closed');
  }
}

function storageError(err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (message.includes('required revision has been compacted')) return new StorageError('Compacted', message);
  return new StorageError('Unavailable', `etcd: ${message}`);
}

function watchError(err: Error, afterRevision: number): StorageError {
  // etcd cancels a watch behind the compact revision with compact_revision set and an empty reason.
  if (/^Watcher canceled:\s*$/.test(err.message) || err.message.includes('compacted')) {
    return new StorageError('Compacted', `watch from revision ${afterRevision} is older than the compact revision`);
  }
  return storageError(err);
}

function toBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** etcd's range end for a prefix: the prefix with its last byte below 0xff incremented ('\0' = everything). */
function rangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}
