import { connOverhead, type RealServer, type Scheduler } from './types.js';

/** ip_vs_lc: fewest connections by overhead (active×256 + inactive); ties keep list order. */
export function lcScheduler(): Scheduler {
  return {
    name: 'lc',
    pick(servers: readonly RealServer[]) {
      let least: RealServer | undefined;
      let loh = 0;
      for (const s of servers) {
        if (s.weight <= 0) continue;
        const doh = connOverhead(s);
        if (!least || doh < loh) [least, loh] = [s, doh];
      }
      return least;
    },
  };
}

/** Picks min overhead/weight, comparing loh×Wd > doh×Wl to stay in integers like the kernel. */
function weightedLeast(servers: readonly RealServer[], overhead: (s: RealServer) => number): RealServer | undefined {
  let least: RealServer | undefined;
  let loh = 0;
  for (const s of servers) {
    if (s.weight <= 0) continue;
    const doh = overhead(s);
    if (!least || loh * s.weight > doh * least.weight) [least, loh] = [s, doh];
  }
  return least;
}

/** ip_vs_wlc (ipvsadm's default): min Ci/Wi with Ci the connection overhead. */
export function wlcScheduler(): Scheduler {
  return { name: 'wlc', pick: (servers) => weightedLeast(servers, connOverhead) };
}

/** ip_vs_sed, shortest expected delay: min (Ci+1)/Ui over active connections. */
export function sedScheduler(): Scheduler {
  return { name: 'sed', pick: (servers) => weightedLeast(servers, (s) => s.activeConns + 1) };
}

/** ip_vs_nq, never queue: the first idle server (no active connections) if any, else as sed. */
export function nqScheduler(): Scheduler {
  return {
    name: 'nq',
    pick(servers: readonly RealServer[]) {
      const idle = servers.find((s) => s.weight > 0 && s.activeConns === 0);
      return idle ?? weightedLeast(servers, (s) => s.activeConns + 1);
    },
  };
}
