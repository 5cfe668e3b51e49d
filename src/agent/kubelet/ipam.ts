/**
 * host-local style IPAM for one node's podCIDR: pod IPs from `.2` upwards (`.1` is the node's
 * gateway in Kubernetes' bridge plugins), one per pod sandbox, released when the pod is gone.
 */
import { SkiffError } from '../../util/errors.js';
import { bigIntToIP, cidrLast, ipToBigInt, parseCIDR, type CIDR } from '../../util/net.js';

export class PodIPAM {
  private readonly cidr: CIDR;
  private readonly byKey = new Map<string, string>();
  private readonly used = new Set<string>();
  /** Where the next search starts, so a released IP is not handed out again at once (host-local's lastReservedIP). */
  private cursor: bigint;

  constructor(podCIDR: string) {
    const cidr = parseCIDR(podCIDR);
    if (!cidr || cidr.family !== 'IPv4') throw new SkiffError('InvalidPodCIDR', `invalid podCIDR "${podCIDR}"`);
    this.cidr = cidr;
    this.cursor = this.first();
  }

  private first(): bigint {
    return this.cidr.network + 2n;
  }

  private last(): bigint {
    return cidrLast(this.cidr) - 1n; // not the broadcast address
  }

  /** The IP of `key` (a pod uid), allocating one if it has none. */
  allocate(key: string): string {
    const have = this.byKey.get(key);
    if (have) return have;
    const first = this.first();
    const last = this.last();
    const span = last - first + 1n;
    for (let i = 0n; i < span; i++) {
      let n = this.cursor + i;
      if (n > last) n -= span;
      const ip = bigIntToIP(n, 'IPv4');
      if (this.used.has(ip)) continue;
      this.used.add(ip);
      this.byKey.set(key, ip);
      this.cursor = n + 1n > last ? first : n + 1n;
      return ip;
    }
    throw new SkiffError('IPAMExhausted', `failed to allocate for range 0: no IP addresses available in range set: ${bigIntToIP(first, 'IPv4')}-${bigIntToIP(last, 'IPv4')}`);
  }

  /** Re-registers an IP a pod already has (agent restart); false when taken or outside the range. */
  reserve(key: string, ip: string): boolean {
    if (this.byKey.get(key) === ip) return true;
    let n: bigint;
    try {
      n = ipToBigInt(ip);
    } catch {
      return false;
    }
    if (n < this.first() || n > this.last() || this.used.has(ip) || this.byKey.has(key)) return false;
    this.used.add(ip);
    this.byKey.set(key, ip);
    return true;
  }

  get(key: string): string | undefined {
    return this.byKey.get(key);
  }

  release(key: string): void {
    const ip = this.byKey.get(key);
    if (!ip) return;
    this.byKey.delete(key);
    this.used.delete(ip);
  }

  get size(): number {
    return this.byKey.size;
  }
}
