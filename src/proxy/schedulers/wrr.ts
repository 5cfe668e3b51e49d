import type { RealServer, Scheduler } from './types.js';

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * ip_vs_wrr: interleaved weighted round robin. A current weight cw starts at the maximum weight and
 * drops by the weights' gcd on every pass over the list; a pass picks each server whose weight ≥ cw,
 * so higher weights come first (weights 3,1 → A A A B).
 */
export function wrrScheduler(): Scheduler {
  let signature = '';
  let cl = -1; // cursor; -1 is the list head
  let cw = 0;
  let mw = 0;
  let di = 1;
  return {
    name: 'wrr',
    pick(servers: readonly RealServer[]) {
      const sig = servers.map((s) => `${s.key}=${s.weight}`).join(',');
      if (sig !== signature) {
        signature = sig;
        const weights = servers.map((s) => s.weight).filter((w) => w > 0);
        di = weights.reduce(gcd, 0) || 1;
        mw = weights.length ? Math.max(...weights) : 0;
        cl = -1;
        cw = mw;
      }
      if (mw === 0) return undefined;
      const n = servers.length;
      // Every weight level is visited within (mw/di + 1) passes.
      const limit = (n + 1) * (Math.ceil(mw / di) + 1);
      for (let guard = 0; guard < limit; guard++) {
        cl++;
        if (cl >= n) {
          cl = -1;
          cw -= di;
          if (cw <= 0) cw = mw;
          continue;
        }
        const s = servers[cl];
        if (s.weight > 0 && s.weight >= cw) return s;
      }
      return undefined;
    },
  };
}
