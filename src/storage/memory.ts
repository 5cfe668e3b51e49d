import { StorageError, type KeyValue, type ListOptions, type ListResult, type Store, type StoreEvent, type Watcher, type WatchOptions } from './store.js';
import { Fanout, replayThenSubscribe } from './event-queue.js';

/** One write to a key; a tombstone keeps the last value with modRevision = the delete's revision. */
interface Version {
  kv: KeyValue;
  deleted: boolean;
}

/**
 * The in-memory driver: full history per key (so lists at older revisions and watch replay work
 * exactly as in the durable drivers) until compacted. For tests and throwaway clusters.
 */
export class MemoryStore implements Store {
  private readonly versions = new Map<string, Version[]>();
  /** Every key that has any version, sorted (binary-searched for prefix ranges). */
  private readonly keys: string[] = [];
  /** Every event after the compact revision, in revision order, for watch replay. */
  private log: StoreEvent[] = [];
  private revision = 0;
  private compacted = 0;
  private closed = false;
  private readonly fanout = new Fanout();

  async create(key: string, value: Uint8Array): Promise<KeyValue> {
    this.assertOpen();
    const latest = this.latest(key);
    if (latest && !latest.deleted) throw new StorageError('KeyExists', `key exists: ${key}`);
    const rev = ++this.revision;
    const kv: KeyValue = { key, value: value.slice(), createRevision: rev, modRevision: rev };
    this.append(key, { kv, deleted: false }, { type: 'create', kv });
    return kv;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.assertOpen();
    const latest = this.latest(key);
    return latest && !latest.deleted ? latest.kv : undefined;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.assertOpen();
    const at = options.revision || this.revision;
    if (at < this.compacted) {
      throw new StorageError('Compacted', `required revision ${at} has been compacted (compact revision ${this.compacted})`);
    }
    const limit = options.limit || Infinity;
    const from = options.startAfter !== undefined && options.startAfter >= prefix ? options.startAfter : prefix;
    const items: KeyValue[] = [];
    let remaining = 0;
    for (let i = lowerBound(this.keys, from); i < this.keys.length; i++) {
      const key = this.keys[i]!;
      if (!key.startsWith(prefix)) break;
      if (key === options.startAfter) continue;
      const version = versionAt(this.versions.get(key)!, at);
      if (!version || version.deleted) continue;
      if (items.length < limit) items.push(version.kv);
      else remaining++;
    }
    return { items, revision: at, more: remaining > 0, remaining };
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<KeyValue> {
    this.assertOpen();
    const latest = this.latest(key);
    if (!latest || latest.deleted) throw new StorageError('NotFound', `key not found: ${key}`);
    if (latest.kv.modRevision !== expectedModRevision) {
      throw new StorageError('Conflict', `modRevision is ${latest.kv.modRevision}, expected ${expectedModRevision}`, latest.kv);
    }
    const rev = ++this.revision;
    const kv: KeyValue = { key, value: value.slice(), createRevision: latest.kv.createRevision, modRevision: rev };
    this.append(key, { kv, deleted: false }, { type: 'update', kv, prevKv: latest.kv });
    return kv;
  }

  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    this.assertOpen();
    const latest = this.latest(key);
    if (!latest || latest.deleted) throw new StorageError('NotFound', `key not found: ${key}`);
    if (expectedModRevision !== undefined && latest.kv.modRevision !== expectedModRevision) {
      throw new StorageError('Conflict', `modRevision is ${latest.kv.modRevision}, expected ${expectedModRevision}`, latest.kv);
    }
    const rev = ++this.revision;
    const kv: KeyValue = { ...latest.kv, modRevision: rev };
    this.append(key, { kv, deleted: true }, { type: 'delete', kv, prevKv: latest.kv });
    return kv;
  }

  watch(prefix: string, options: WatchOptions): Watcher {
    this.assertOpen();
    return replayThenSubscribe({
      options,
      compacted: this.compacted,
      replay: (queue) => {
        for (let i = firstAfter(this.log, options.afterRevision); i < this.log.length; i++) {
          const event = this.log[i]!;
          if (event.kv.key.startsWith(prefix)) queue.push(event);
        }
      },
      subscribe: (queue) => this.fanout.add(prefix, queue),
    });
  }

  async currentRevision(): Promise<number> {
    this.assertOpen();
    return this.revision;
  }

  async compact(revision: number): Promise<void> {
    this.assertOpen();
    const target = Math.min(revision, this.revision);
    if (target <= this.compacted) return;
    for (let i = 0; i < this.keys.length; ) {
      const key = this.keys[i]!;
      const list = this.versions.get(key)!;
      // Keep the newest version at or below target (state as of target) unless it is a tombstone.
      let keepFrom = 0;
      while (keepFrom + 1 < list.length && list[keepFrom + 1]!.kv.modRevision <= target) keepFrom++;
      const head = list[keepFrom]!;
      if (head.kv.modRevision <= target && head.deleted) keepFrom++;
      if (keepFrom > 0) list.splice(0, keepFrom);
      if (list.length === 0) {
        this.versions.delete(key);
        this.keys.splice(i, 1);
      } else {
        i++;
      }
    }
    this.log = this.log.slice(firstAfter(this.log, target));
    this.compacted = target;
  }

  async compactRevision(): Promise<number> {
    this.assertOpen();
    return this.compacted;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.fanout.closeAll();
  }

  private latest(key: string): Version | undefined {
    const list = this.versions.get(key);
    return list?.[list.length - 1];
  }

  private append(key: string, version: Version, event: StoreEvent): void {
    let list = this.versions.get(key);
    if (!list) {
      list = [];
      this.versions.set(key, list);
      this.keys.splice(lowerBound(this.keys, key), 0, key);
    }
    list.push(version);
    this.log.push(event);
    this.fanout.publish(event);
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageError('Closed', 'store is closed');
  }
}

function lowerBound(sorted: string[], target: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function versionAt(list: Version[], revision: number): Version | undefined {
  for (let i = list.length - 1; i >= 0; i--) {
    if (list[i]!.kv.modRevision <= revision) return list[i];
  }
  return undefined;
}

/** Index of the first event with revision > after. */
function firstAfter(log: StoreEvent[], after: number): number {
  let lo = 0;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (log[mid]!.kv.modRevision <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
