// The storage contract only: drivers (memory, sqlite, etcd) are picked and imported by cli/.
export * from './store.js';
