/**
 * MetalLB's internal/allocator: which Service holds which IP, the sharing rules, and the order in
 * which pools are tried. Pure and in memory; the controller rebuilds it from Service status.
 */
import { formatIP, parseIP, type IPFamily } from '../../util/net.js';
import { isBuggyIP, poolContains, poolIPs, poolServes, type Pool } from './pool.js';

export interface ServicePort {
  protocol: string;
  port: number;
}

/** What the allocator needs to know about a Service. */
export interface ServiceRequest {
  key: string; // ns/name
  namespace: string;
  labels?: Record<string, string>;
  family: IPFamily;
  ports: ServicePort[];
  /** allow-shared-ip annotation ('' = no sharing). */
  sharingKey: string;
  /** With externalTrafficPolicy Local, the selector: services sharing an IP must have the same backends. */
  backendKey: string;
}

interface Assignment {
  ip: string;
  pool: string;
  req: ServiceRequest;
}

export class AllocationError extends Error {}

export class Allocator {
  private pools = new Map<string, Pool>();
  private readonly byService = new Map<string, Assignment>();
  private readonly byIP = new Map<string, Set<string>>();

  setPools(pools: Pool[]): void {
    this.pools = new Map(pools.map((p) => [p.name, p]));
  }

  getPools(): Pool[] {
    return [...this.pools.values()];
  }

  assigned(key: string): { ip: string; pool: string } | undefined {
    const a = this.byService.get(key);
    return a && { ip: a.ip, pool: a.pool };
  }

  /** The pool an address belongs to, if any. */
  poolFor(ip: string): Pool | undefined {
    for (const p of this.pools.values()) if (poolContains(p, ip)) return p;
    return undefined;
  }

  release(key: string): void {
    const a = this.byService.get(key);
    if (!a) return;
    this.byService.delete(key);
    const users = this.byIP.get(a.ip);
    users?.delete(key);
    if (users?.size === 0) this.byIP.delete(a.ip);
  }

  /** Assign: a specific address (requested, or kept from status). Ignores autoAssign, not the pool's selectors. */
  assign(req: ServiceRequest, ip: string): { ip: string; pool: string } {
    const parsed = parseIP(ip);
    const pool = parsed && this.poolFor(ip);
    if (!parsed || !pool) throw new AllocationError(`${JSON.stringify(ip)} is not allowed in config`);
    if (pool.avoidBuggyIPs && isBuggyIP(parsed)) throw new AllocationError(`${JSON.stringify(ip)} is not allowed in config`);
    if (!poolServes(pool, req)) throw new AllocationError(`pool ${pool.name} not compatible for ip assignment`);
    const canonical = formatIP(parsed);
    const err = this.checkSharing(req, canonical);
    if (err) throw new AllocationError(err);
    this.record(req, canonical, pool.name);
    return { ip: canonical, pool: pool.name };
  }

  /** AllocateFromPool: the lowest address of the pool free (or shareable) for this Service. */
  allocateFromPool(req: ServiceRequest, poolName: string): { ip: string; pool: string } {
    const current = this.byService.get(req.key);
    if (current?.pool === poolName) return { ip: current.ip, pool: poolName };
    const pool = this.pools.get(poolName);
    if (!pool) throw new AllocationError(`unknown pool ${JSON.stringify(poolName)}`);
    if (!poolServes(pool, req)) throw new AllocationError(`pool ${poolName} not compatible for ip assignment`);
    for (const ip of poolIPs(pool)) {
      if (ip.family !== req.family) continue;
      const text = formatIP(ip);
      if (this.checkSharing(req, text) === undefined) {
        this.record(req, text, pool.name);
        return { ip: text, pool: pool.name };
      }
    }
    throw new AllocationError(`no available IPs in pool ${JSON.stringify(poolName)}`);
  }

  /** Allocate: pinned pools by priority (lower first, 0 last), then the other autoAssign pools. */
  allocate(req: ServiceRequest): { ip: string; pool: string } {
    const current = this.byService.get(req.key);
    if (current) return { ip: current.ip, pool: current.pool };
    const byName = [...this.pools.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const rank = (p: Pool) => (p.serviceAllocation!.priority > 0 ? p.serviceAllocation!.priority : Number.MAX_SAFE_INTEGER);
    const pinned = byName.filter((p) => p.autoAssign && p.serviceAllocation && poolServes(p, req)).sort((a, b) => rank(a) - rank(b));
    const rest = byName.filter((p) => p.autoAssign && !p.serviceAllocation);
    for (const p of [...pinned, ...rest]) {
      try {
        return this.allocateFromPool(req, p.name);
      } catch {
        // try the next pool
      }
    }
    throw new AllocationError('no available IPs');
  }

  /** Addresses in use per pool and family (IPAddressPool status). */
  usage(poolName: string): { ipv4: number; ipv6: number } {
    const out = { ipv4: 0, ipv6: 0 };
    for (const ip of this.byIP.keys()) {
      const a = this.byService.get([...this.byIP.get(ip)!][0]!);
      if (a?.pool !== poolName) continue;
      if (ip.includes(':')) out.ipv6++;
      else out.ipv4++;
    }
    return out;
  }

  private record(req: ServiceRequest, ip: string, pool: string): void {
    this.release(req.key);
    this.byService.set(req.key, { ip, pool, req });
    let users = this.byIP.get(ip);
    if (!users) this.byIP.set(ip, (users = new Set()));
    users.add(req.key);
  }

  /** undefined when `req` may use `ip` alongside the Services already on it; else MetalLB's reason. */
  private checkSharing(req: ServiceRequest, ip: string): string | undefined {
    for (const other of this.byIP.get(ip) ?? []) {
      if (other === req.key) continue;
      const o = this.byService.get(other)!.req;
      if (o.sharingKey === '') return 'existing service does not allow sharing';
      if (req.sharingKey === '') return 'new service does not allow sharing';
      if (o.sharingKey !== req.sharingKey) return `sharing key ${JSON.stringify(req.sharingKey)} does not match existing sharing key ${JSON.stringify(o.sharingKey)}`;
      if (o.backendKey !== req.backendKey) return `backend key ${JSON.stringify(req.backendKey)} does not match existing sharing key ${JSON.stringify(o.backendKey)}`;
      for (const p of req.ports) {
        if (o.ports.some((q) => q.port === p.port && q.protocol === p.protocol)) return `port ${p.protocol}/${p.port} is already in use on ${JSON.stringify(ip)}`;
      }
    }
    return undefined;
  }
}
