import { runStoreConformance } from './conformance.js';
import { MemoryStore } from './memory.js';

runStoreConformance('memory', async () => {
  const store = new MemoryStore();
  return { store, cleanup: () => store.close() };
});
