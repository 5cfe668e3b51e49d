import { SkiffError } from '../util/errors.js';

/**
 * A kine-style revisioned key-value store. It stores bytes, not typed objects: the API server
 * alone gives them meaning. Every write gets the next global revision (like etcd's mod_revision).
 */
export interface KeyValue {
  key: string;
  value: Uint8Array;
  /** revision at which this key was created (the current incarnation) */
  createRevision: number;
  /** revision of the last write to this key */
  modRevision: number;
}

export interface ListOptions {
  /** Read as of this revision (0 or absent = latest). Older than the compact revision → StorageError 'Compacted'. */
  revision?: number;
  /** Maximum number of items (0 or absent = all). */
  limit?: number;
  /** Continue strictly after this key (exclusive), for paging. */
  startAfter?: string;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the list was read at (the store's current revision when `revision` was not given). */
  revision: number;
  /** More keys remain after the last item. */
  more: boolean;
  /** How many keys remain after the last item, where cheap to know. */
  remaining?: number;
}

export interface StoreEvent {
  type: 'create' | 'update' | 'delete';
  /** For delete: the key's last value, with modRevision = the delete's revision. */
  kv: KeyValue;
  prevKv?: KeyValue;
}

export interface WatchOptions {
  /** Deliver every event with revision > afterRevision (replay from history, then live). */
  afterRevision: number;
  signal: AbortSignal;
}

export interface Watcher {
  /**
   * Events in revision order. The iterator ends when the signal aborts or the store closes, and
   * rejects with a StorageError ('Compacted', 'Unavailable') when the watch cannot go on.
   */
  events: AsyncIterable<StoreEvent>;
}

export interface Store {
  /** Create if absent; returns the new revision. Throws StorageError 'KeyExists'. */
  create(key: string, value: Uint8Array): Promise<KeyValue>;
  get(key: string): Promise<KeyValue | undefined>;
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  /** Write if the key's modRevision equals expected. Throws 'NotFound' or 'Conflict' (with the current kv). */
  update(key: string, value: Uint8Array, expectedModRevision: number): Promise<KeyValue>;
  /** Delete if present (and, when given, its modRevision equals expected). Returns the deleted kv with the delete revision. */
  delete(key: string, expectedModRevision?: number): Promise<KeyValue>;
  /**
   * Watch a prefix from a revision. Throws 'Compacted' when afterRevision is older than history; a
   * driver that learns of the compaction only from its server (etcd) rejects the iterator's first
   * pull with the same error instead, so callers must handle both.
   */
  watch(prefix: string, options: WatchOptions): Watcher;
  currentRevision(): Promise<number>;
  /** Drop history at or below revision. */
  compact(revision: number): Promise<void>;
  /** The oldest revision a watch/list may still start from. */
  compactRevision(): Promise<number>;
  close(): Promise<void>;
}

export type StorageErrorCode = 'KeyExists' | 'NotFound' | 'Conflict' | 'Compacted' | 'Closed' | 'Unavailable';

export class StorageError extends SkiffError {
  declare readonly code: StorageErrorCode;
  /** For Conflict: what is stored now. */
  readonly current?: KeyValue;
  constructor(code: StorageErrorCode, message: string, current?: KeyValue) {
    super(code, message);
    this.name = 'StorageError';
    this.current = current;
  }
}

export function isStorageError(err: unknown, code?: StorageErrorCode): err is StorageError {
  return err instanceof StorageError && (code === undefined || err.code === code);
}

export const textEncoder = new TextEncoder();
export const textDecoder = new TextDecoder();
