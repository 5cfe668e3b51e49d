import type { RealServer, Scheduler } from './types.js';

/**
 * ip_vs_rr: the next server after the last one chosen that has weight > 0. When the last one is gone,
 * rotation continues from the position it held (the kernel steps the cursor back on removal).
 */
export function rrScheduler(): Scheduler {
  let lastKey: string | undefined;
  let lastIndex = -1;
  return {
    name: 'rr',
    pick(servers: readonly RealServer[]) {
      const n = servers.length;
      if (n === 0) return undefined;
      const found = lastKey === undefined ? -1 : servers.findIndex((s) => s.key === lastKey);
      const start = found >= 0 ? found + 1 : Math.max(0, lastIndex);
      for (let i = 0; i < n; i++) {
        const idx = (start + i) % n;
        const s = servers[idx];
        if (s.weight > 0) {
          lastKey = s.key;
          lastIndex = idx;
          return s;
        }
      }
      return undefined;
    },
  };
}
