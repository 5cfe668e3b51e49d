import type { Clock } from '../../util/clock.js';

/**
 * ClientIP session affinity, as iptables' `recent --rcheck --seconds T` / IPVS persistence: a client
 * stays on its endpoint while its last new connection is younger than the timeout.
 */
export class AffinityTable {
  private readonly entries = new Map<string, { endpoint: string; lastUsed: number }>();
  constructor(private readonly clock: Clock, private timeoutMs: number) {}

  setTimeout(ms: number): void {
    this.timeoutMs = ms;
  }

  /** The pinned endpoint key, if the pin has not expired. */
  lookup(clientIP: string): string | undefined {
    const e = this.entries.get(clientIP);
    if (!e) return undefined;
    if (this.clock.now() - e.lastUsed >= this.timeoutMs) {
      this.entries.delete(clientIP);
      return undefined;
    }
    return e.endpoint;
  }

  record(clientIP: string, endpoint: string): void {
    // Re-insert so the map stays in last-use order and the sweep can stop at the first live entry.
    this.entries.delete(clientIP);
    this.entries.set(clientIP, { endpoint, lastUsed: this.clock.now() });
    if (this.entries.size > 1024) this.sweep();
  }

  forget(clientIP: string): void {
    this.entries.delete(clientIP);
  }

  /** Drops pins to endpoints that no longer exist. */
  retain(endpoints: Set<string>): void {
    for (const [ip, e] of this.entries) if (!endpoints.has(e.endpoint)) this.entries.delete(ip);
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [ip, e] of this.entries) {
      if (now - e.lastUsed < this.timeoutMs) break;
      this.entries.delete(ip);
    }
  }
}
