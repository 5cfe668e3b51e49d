import { connOverhead, type RealServer, type Scheduler } from './types.js';

const maxEntries = 16384; // the kernel expires idle entries; we bound the table instead

/** lblc's overload test: more active connections than weight while some server is under half load. */
function isOverloaded(dest: RealServer, servers: readonly RealServer[]): boolean {
  if (dest.activeConns <= dest.weight) return false;
  return servers.some((d) => d.activeConns * 2 < d.weight);
}

function weightedLeastConn(servers: readonly RealServer[]): RealServer | undefined {
  let least: RealServer | undefined;
  let loh = 0;
  for (const s of servers) {
    if (s.weight <= 0) continue;
    const doh = connOverhead(s);
    if (!least || loh * s.weight > doh * least.weight) [least, loh] = [s, doh];
  }
  return least;
}

/**
 * ip_vs_lblc, locality-based least connection: the same destination IP keeps its server unless that
 * server is unavailable or overloaded; otherwise weighted least-connection picks and is remembered.
 */
export function lblcScheduler(): Scheduler {
  const table = new Map<string, string>(); // destIP → server key
  return {
    name: 'lblc',
    pick(servers: readonly RealServer[], req) {
      const key = table.get(req.destIP);
      const cached = key === undefined ? undefined : servers.find((s) => s.key === key);
      if (cached && cached.weight > 0 && !isOverloaded(cached, servers)) return cached;
      const dest = weightedLeastConn(servers);
      if (!dest) return undefined;
      if (table.size >= maxEntries && !table.has(req.destIP)) table.delete(table.keys().next().value!);
      table.set(req.destIP, dest.key);
      return dest;
    },
  };
}
