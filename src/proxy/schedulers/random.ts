import type { RealServer, Scheduler } from './types.js';

/** Uniform choice among servers that take new connections: what iptables' statistic --mode random yields. */
export function randomScheduler(rand: () => number = Math.random): Scheduler {
  return {
    name: 'random',
    pick(servers: readonly RealServer[]) {
      const usable = servers.filter((s) => s.weight > 0);
      if (usable.length === 0) return undefined;
      return usable[Math.min(usable.length - 1, Math.floor(rand() * usable.length))];
    },
  };
}
