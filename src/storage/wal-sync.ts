import { closeSync, fdatasync, openSync } from 'node:fs';
import { StorageError } from './store.js';

export interface WalSyncOptions<T> {
  /** SQLite's write-ahead log (`<db>-wal`), which every commit appends to. */
  path: string;
  /** Called, in commit order, with the commits an fsync made durable. */
  durable: (items: T[]) => void;
  /** Called with the commits that can no longer be called durable. */
  failed: (items: T[], err: StorageError) => void;
}

/**
 * Group commit's fsync, off the event loop: SQLite commits without syncing (synchronous=NORMAL, which
 * still syncs around checkpoints) and the WAL is fdatasync'ed on libuv's thread pool, one fsync at a time,
 * each covering every commit made before it started. An acknowledged write is as durable as with FULL,
 * and the API server goes on serving while the disk works. After a failed fsync nothing is known durable
 * (PostgreSQL's lesson): every later commit fails too.
 */
export class WalSync<T> {
  private queue: T[] = [];
  private syncing = false;
  private fd: number | undefined;
  private failure: StorageError | undefined;
  private idle: Array<() => void> = [];

  constructor(private readonly o: WalSyncOptions<T>) {}

  get failed(): StorageError | undefined {
    return this.failure;
  }

  push(item: T): void {
    this.queue.push(item);
    this.next();
  }

  /** Resolves once no commit waits for an fsync. */
  drain(): Promise<void> {
    return this.syncing || this.queue.length ? new Promise((resolve) => this.idle.push(resolve)) : Promise.resolve();
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private next(): void {
    if (this.syncing) return;
    const waiting = this.queue.splice(0);
    if (!waiting.length) {
      for (const resolve of this.idle.splice(0)) resolve();
      return;
    }
    if (this.failure) return this.done(waiting, this.failure);
    this.syncing = true;
    try {
      this.fd ??= openSync(this.o.path, 'r');
    } catch (err) {
      return this.done(waiting, err as Error);
    }
    fdatasync(this.fd, (err) => this.done(waiting, err));
  }

  private done(waiting: T[], err: Error | null): void {
    this.syncing = false;
    if (err) {
      this.failure ??= new StorageError('Unavailable', `storage failed: fsync of ${this.o.path}: ${err.message}`);
      this.o.failed(waiting, this.failure);
    } else this.o.durable(waiting);
    this.next();
  }
}
