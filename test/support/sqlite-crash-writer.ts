// Child process for the sqlite crash test: writes in a loop and prints "<key> <revision>" after each
// acknowledged write, until the parent kills it with SIGKILL.
import { SqliteStore } from '../../src/storage/sqlite.js';
import { textEncoder } from '../../src/storage/store.js';

const path = process.argv[2];
if (!path) throw new Error('usage: sqlite-crash-writer <db path>');
const store = new SqliteStore({ path });
for (let i = 0; ; i++) {
  const key = `/crash/k${String(i).padStart(8, '0')}`;
  const kv = await store.create(key, textEncoder.encode(`value-${i}`));
  process.stdout.write(`${key} ${kv.modRevision}\n`);
}
