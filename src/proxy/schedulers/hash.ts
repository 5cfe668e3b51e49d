import { addrFold, type RealServer, type Scheduler } from './types.js';

const TAB_SIZE = 256; // IP_VS_DH_TAB_SIZE and IP_VS_SH_TAB_SIZE (8 bits)

/**
 * ip_vs_dh, destination hashing: bucket (addr × 2654435761) & 255 over a table filled with the servers
 * in turn. An unavailable server (weight 0) yields no server, as the kernel does.
 */
export function dhScheduler(): Scheduler {
  return {
    name: 'dh',
    pick(servers: readonly RealServer[], req) {
      if (servers.length === 0) return undefined;
      const bucket = Math.imul(addrFold(req.destIP), 2654435761 | 0) & (TAB_SIZE - 1);
      const s = servers[bucket % servers.length];
      return s.weight > 0 ? s : undefined;
    },
  };
}

/** hash_32(val, 8) from include/linux/hash.h. */
function hash32(val: number): number {
  return Math.imul(val >>> 0, 0x61c88647) >>> 24;
}

/**
 * ip_vs_sh, source hashing: bucket hash_32(source address, 8); each server fills `weight` consecutive
 * buckets of the 256 (a weight-0 server still takes one but is unavailable). The port is ignored
 * unless `hashPort` (ipvsadm's sh-port flag).
 */
export function shScheduler(opts: { hashPort?: boolean } = {}): Scheduler {
  let signature = '';
  let table: RealServer[] = [];
  return {
    name: 'sh',
    pick(servers: readonly RealServer[], req) {
      if (servers.length === 0) return undefined;
      const sig = servers.map((s) => `${s.key}=${s.weight}`).join(',');
      if (sig !== signature) {
        signature = sig;
        table = [];
        let p = 0;
        let count = 0;
        for (let i = 0; i < TAB_SIZE; i++) {
          const s = servers[p];
          table.push(s);
          if (++count >= s.weight) [p, count] = [(p + 1) % servers.length, 0];
        }
      }
      const port = opts.hashPort ? req.clientPort : 0;
      const s = table[hash32((port + addrFold(req.clientIP)) >>> 0) % TAB_SIZE];
      // The table holds snapshots; return the caller's current object for the same key.
      const current = servers.find((x) => x.key === s.key)!;
      return current.weight > 0 ? current : undefined;
    },
  };
}
