import { join } from 'node:path';
import type { Store } from '../storage/store.js';

/**
 * k3s' --datastore-endpoint: empty → embedded SQLite in the data dir; `sqlite://PATH`; `memory://`;
 * `http(s)://host:port[,host:port]` → etcd.
 */
export async function openDatastore(endpoint: string | undefined, dataDir: string): Promise<{ store: Store; description: string }> {
  if (!endpoint || endpoint.startsWith('sqlite://')) {
    const { SqliteStore } = await import('../storage/sqlite.js');
    const path = endpoint ? endpoint.slice('sqlite://'.length) : join(dataDir, 'server', 'db', 'state.db');
    return { store: new SqliteStore({ path }), description: `sqlite ${path}` };
  }
  if (endpoint === 'memory://') {
    const { MemoryStore } = await import('../storage/memory.js');
    return { store: new MemoryStore(), description: 'memory' };
  }
  if (/^https?:\/\//.test(endpoint)) {
    const { EtcdStore } = await import('../storage/etcd.js');
    const endpoints = endpoint.split(',').map((e) => (e.includes('://') ? e : `http://${e}`));
    return { store: new EtcdStore({ endpoints }), description: `etcd ${endpoints.join(',')}` };
  }
  throw new Error(`unsupported --datastore-endpoint "${endpoint}": use sqlite://PATH, memory:// or http://HOST:PORT (etcd)`);
}
