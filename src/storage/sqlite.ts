import { existsSync, mkdirSync } from 'node:fs';
import { secureFile } from './file-modes.js';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StorageError, type KeyValue, type ListOptions, type ListResult, type Store, type StoreEvent, type Watcher, type WatchOptions } from './store.js';
import { Fanout, prefixEnd, replayThenSubscribe } from './event-queue.js';
import { WalSync } from './wal-sync.js';

export interface SqliteStoreOptions {
  /** Database file; parent directories are created. ':memory:' works for tests. */
  path: string;
  /**
   * FULL (default): a write is acknowledged once the WAL holding it is fsynced, so it survives power loss.
   * NORMAL in WAL mode survives a process crash (kill -9) but may lose the last commits on power loss.
   */
  synchronous?: 'FULL' | 'NORMAL';
}

/** Writes of one group transaction: acknowledged, and their watch events published, once durable. */
type Batch = Array<{ event: StoreEvent; resolve: () => void; reject: (err: unknown) => void }>;

/** A row of the log; `id` is the revision of that write. */
interface Row {
  id: number;
  name: string;
  created: number;
  deleted: number;
  create_revision: number;
  prev_revision: number;
  value: Buffer;
}

interface ReplayRow extends Row {
  p_id: number | null;
  p_created: number | null;
  p_create_revision: number | null;
  p_value: Buffer | null;
}

/** Above every valid UTF-8 key: the upper bound when the prefix is ''. */
const MAX_KEY = String.fromCodePoint(0x10ffff);

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kine (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS kine_name_id ON kine (name, id);
CREATE TABLE IF NOT EXISTS kine_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

/**
 * Latest row per key in [start, end) as of a revision, live rows only. Walks the (name, id) index in
 * key order and stops at LIMIT, unlike a GROUP BY, which would sort the whole range first.
 */
const LATEST_IN_RANGE = `
FROM kine kv
WHERE kv.name >= @start AND kv.name < @end AND kv.id <= @rev AND kv.deleted = 0
  AND NOT EXISTS (SELECT 1 FROM kine n WHERE n.name = kv.name AND n.id > kv.id AND n.id <= @rev)`;

/**
 * The default driver: a kine-style log table in SQLite. Every write appends one row whose id is
 * its revision, so history serves lists at older revisions and watch replay until compacted.
 * One process writes (the API server); watch fan-out happens in that process.
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly fanout = new Fanout();
  private revision: number;
  /** the last revision a COMMIT made durable: what reads, lists and watches are served at */
  private committed = 0;
  /** writes of the open group transaction, acknowledged (and published) when it commits */
  private batch: Batch | undefined;
  /** The revision of the last COMMIT, durable or not: where a failed COMMIT winds the revision back to. */
  private lastCommit = 0;
  /** FULL on disk: commits wait here for the WAL's fsync; otherwise SQLite's own synchronous setting is all. */
  private readonly wal: WalSync<{ revision: number; batch: Batch }> | undefined;
  private compacted: number;
  private closed = false;
  private readonly stmt: ReturnType<typeof prepare>;

  constructor(options: SqliteStoreOptions) {
    const onDisk = options.path !== ':memory:' && !options.path.startsWith('file:');
    if (onDisk) {
      // the database holds every Secret: owner-only, and SQLite gives its -wal/-shm the file's mode
      // (a directory skiff creates is 0700; one the user named keeps its mode)
      if (!existsSync(dirname(options.path))) mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
      secureFile(options.path, true);
    }
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    if (onDisk) for (const suffix of ['-wal', '-shm']) secureFile(options.path + suffix);
    // FULL on disk: SQLite commits without fsync and WalSync fsyncs the WAL off the event loop
    const full = (options.synchronous ?? 'FULL') === 'FULL';
    if (full && onDisk) {
      this.wal = new WalSync({
        path: `${options.path}-wal`,
        durable: (commits) => commits.forEach((c) => this.acknowledge(c.revision, c.batch)),
        failed: (commits, err) => commits.forEach((c) => c.batch.forEach((b) => b.reject(err))),
      });
    }
    this.db.pragma(`synchronous = ${full && !onDisk ? 'FULL' : 'NORMAL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.stmt = prepare(this.db);
    const seq = this.db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'kine'`).get() as { seq: number } | undefined;
    this.revision = seq?.seq ?? 0;
    this.committed = this.revision;
    this.lastCommit = this.revision;
    const meta = this.stmt.getCompact.get() as { value: number } | undefined;
    this.compacted = meta?.value ?? 0;
  }

  async create(key: string, value: Uint8Array): Promise<KeyValue> {
    this.assertOpen();
    return this.write(() => {
      const latest = this.stmt.latest.get(key) as Row | undefined;
      if (latest && !latest.deleted) throw new StorageError('KeyExists', `key exists: ${key}`);
      const rev = this.insert({ name: key, created: 1, deleted: 0, createRevision: 0, prev: latest?.id ?? 0, value });
      const kv: KeyValue = { key, value, createRevision: rev, modRevision: rev };
      return { kv, event: { type: 'create', kv } };
    });
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.assertOpen();
    const latest = this.stmt.latest.get(key) as Row | undefined;
    return latest && !latest.deleted ? toKeyValue(latest) : undefined;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.assertOpen();
    const rev = options.revision || this.committed;
    if (rev < this.compacted) {
      throw new StorageError('Compacted', `required revision ${rev} has been compacted (compact revision ${this.compacted})`);
    }
    const end = prefixEnd(prefix) ?? MAX_KEY;
    const after = options.startAfter;
    const start = after !== undefined && after >= prefix ? `${after}\0` : prefix;
    const limit = options.limit && options.limit > 0 ? options.limit : -1;
    const rows = this.stmt.list.all({ start, end, rev, limit: limit < 0 ? -1 : limit + 1 }) as Row[];
    const more = limit > 0 && rows.length > limit;
    if (more) rows.length = limit;
    const items = rows.map(toKeyValue);
    const remaining = more
      ? (this.stmt.count.get({ start: `${items[items.length - 1]!.key}\0`, end, rev }) as { n: number }).n
      : 0;
    return { items, revision: rev, more, remaining };
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<KeyValue> {
    this.assertOpen();
    return this.write(() => {
      const latest = this.requireLatest(key, expectedModRevision);
      const prevKv = toKeyValue(latest);
      const rev = this.insert({ name: key, created: 0, deleted: 0, createRevision: prevKv.createRevision, prev: latest.id, value });
      const kv: KeyValue = { key, value, createRevision: prevKv.createRevision, modRevision: rev };
      return { kv, event: { type: 'update', kv, prevKv } };
    });
  }

  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    this.assertOpen();
    return this.write(() => {
      const latest = this.requireLatest(key, expectedModRevision);
      const prevKv = toKeyValue(latest);
      // The tombstone keeps the last value, so replayed delete events carry it.
      const rev = this.insert({ name: key, created: 0, deleted: 1, createRevision: prevKv.createRevision, prev: latest.id, value: latest.value });
      const kv: KeyValue = { ...prevKv, modRevision: rev };
      return { kv, event: { type: 'delete', kv, prevKv } };
    });
  }

  watch(prefix: string, options: WatchOptions): Watcher {
    this.assertOpen();
    const end = prefixEnd(prefix) ?? MAX_KEY;
    // better-sqlite3 is synchronous, so the replay and the subscription happen in one tick.
    return replayThenSubscribe({
      options,
      compacted: this.compacted,
      replay: (queue) => {
        for (const row of this.stmt.replay.iterate({ after: options.afterRevision, start: prefix, end }) as Iterable<ReplayRow>) {
          // rows of the open group transaction are published when it commits
          if (row.id > this.committed) break;
          queue.push(toEvent(row));
        }
      },
      subscribe: (queue) => this.fanout.add(prefix, queue),
    });
  }

  async currentRevision(): Promise<number> {
    this.assertOpen();
    return this.committed;
  }

  async compact(revision: number): Promise<void> {
    this.assertOpen();
    const target = Math.min(revision, this.committed);
    if (target <= this.compacted) return;
    const from = this.compacted;
    this.db.transaction(() => {
      // Rows superseded at or before target, then tombstones at or before target.
      this.stmt.compactSuperseded.run({ from, to: target });
      this.stmt.compactTombstones.run({ from, to: target });
      this.stmt.setCompact.run(target);
    }).immediate();
    this.compacted = target;
  }

  async compactRevision(): Promise<number> {
    this.assertOpen();
    return this.compacted;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.batch) this.commit();
    this.closed = true;
    await this.wal?.drain();
    this.fanout.closeAll();
    this.wal?.close();
    this.db.close();
  }

  /**
   * Group commit: writes of one event-loop turn share one transaction, so one fsync (synchronous=FULL)
   * makes them all durable, as etcd batches its raft entries. Each write is checked and applied at once
   * (later writes see earlier ones); it is acknowledged, and its watch event published, after COMMIT.
   */
  private write(apply: () => { kv: KeyValue; event: StoreEvent }): Promise<KeyValue> {
    if (this.wal?.failed) return Promise.reject(this.wal.failed);
    if (!this.batch) {
      this.db.exec('BEGIN IMMEDIATE');
      this.batch = [];
      setImmediate(() => this.commit());
    }
    let out: { kv: KeyValue; event: StoreEvent };
    try {
      out = apply();
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => this.batch!.push({ event: out.event, resolve: () => resolve(out.kv), reject }));
  }

  private commit(): void {
    const batch = this.batch;
    if (!batch || this.closed) return;
    this.batch = undefined;
    try {
      this.db.exec('COMMIT');
    } catch (err) {
      try {
        this.db.exec('ROLLBACK');
      } catch {
        // already rolled back by SQLite
      }
      this.revision = this.lastCommit;
      for (const b of batch) b.reject(err);
      return;
    }
    this.lastCommit = this.revision;
    if (this.wal) this.wal.push({ revision: this.revision, batch });
    else this.acknowledge(this.revision, batch);
  }

  /** Durable: reads, lists and watches are served up to `revision`, its events published, its writers answered. */
  private acknowledge(revision: number, batch: Batch): void {
    this.committed = revision;
    for (const b of batch) this.fanout.publish(b.event);
    for (const b of batch) b.resolve();
  }

  private requireLatest(key: string, expectedModRevision: number | undefined): Row {
    const latest = this.stmt.latest.get(key) as Row | undefined;
    if (!latest || latest.deleted) throw new StorageError('NotFound', `key not found: ${key}`);
    if (expectedModRevision !== undefined && latest.id !== expectedModRevision) {
      throw new StorageError('Conflict', `modRevision is ${latest.id}, expected ${expectedModRevision}`, toKeyValue(latest));
    }
    return latest;
  }

  /** One autocommit INSERT = one durable transaction; returns the new revision. */
  private insert(row: { name: string; created: number; deleted: number; createRevision: number; prev: number; value: Uint8Array }): number {
    const value = Buffer.isBuffer(row.value) ? row.value : Buffer.from(row.value.buffer, row.value.byteOffset, row.value.byteLength);
    const info = this.stmt.insert.run(row.name, row.created, row.deleted, row.createRevision, row.prev, value);
    this.revision = Number(info.lastInsertRowid);
    return this.revision;
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageError('Closed', 'store is closed');
  }
}

function prepare(db: Database.Database) {
  const columns = 'kv.id, kv.name, kv.created, kv.deleted, kv.create_revision, kv.prev_revision, kv.value';
  return {
    latest: db.prepare(`SELECT ${columns} FROM kine kv WHERE kv.name = ? ORDER BY kv.id DESC LIMIT 1`),
    insert: db.prepare(
      'INSERT INTO kine (name, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    list: db.prepare(`SELECT ${columns} ${LATEST_IN_RANGE} ORDER BY kv.name LIMIT @limit`),
    count: db.prepare(`SELECT COUNT(*) AS n ${LATEST_IN_RANGE}`),
    replay: db.prepare(
      `SELECT ${columns}, p.id AS p_id, p.created AS p_created, p.create_revision AS p_create_revision, p.value AS p_value
       FROM kine kv LEFT JOIN kine p ON p.id = kv.prev_revision
       WHERE kv.id > @after AND kv.name >= @start AND kv.name < @end ORDER BY kv.id`,
    ),
    compactSuperseded: db.prepare(
      'DELETE FROM kine WHERE id IN (SELECT prev_revision FROM kine WHERE id > @from AND id <= @to AND prev_revision != 0)',
    ),
    compactTombstones: db.prepare('DELETE FROM kine WHERE deleted = 1 AND id > @from AND id <= @to'),
    getCompact: db.prepare(`SELECT value FROM kine_meta WHERE name = 'compact_rev'`),
    setCompact: db.prepare(`INSERT OR REPLACE INTO kine_meta (name, value) VALUES ('compact_rev', ?)`),
  };
}

/** Create rows store create_revision 0 (as kine does): their own id is the create revision. */
function toKeyValue(row: Row): KeyValue {
  return {
    key: row.name,
    value: row.value,
    createRevision: row.created ? row.id : row.create_revision,
    modRevision: row.id,
  };
}

function toEvent(row: ReplayRow): StoreEvent {
  const kv = toKeyValue(row);
  if (row.created) return { type: 'create', kv };
  const prevKv: KeyValue | undefined =
    row.p_id === null
      ? undefined
      : {
          key: row.name,
          value: row.p_value!,
          createRevision: row.p_created ? row.p_id : row.p_create_revision!,
          modRevision: row.p_id,
        };
  return { type: row.deleted ? 'delete' : 'update', kv, ...(prevKv ? { prevKv } : {}) };
}
