/** ClusterIP allocator over the service CIDR (pkg/registry/core/service/ipallocator, bitmap flavour). */
import type { CIDR, IPFamily } from '../../util/net.js';
import { bitsOf, cidrSize, cidrString, formatIP, parseCIDR, parseIP } from '../../util/net.js';
import { AllocationBitmap } from './bitmap.js';
import { AllocationError, errAllocated, errFull } from './errors.js';

/** Bitmaps larger than this are not kept: IPv6 ranges wider than /108 use their first 2^20 addresses. */
const maxBitmapSize = 1 << 20;

export interface IPAllocatorOptions {
  /** The service CIDR, e.g. `10.96.0.0/12`. */
  cidr: string;
  /** Uniform in [0, 1); Math.random by default. Tests inject a deterministic one. */
  random?: () => number;
}

/** Static band: min(max(16, cidrSize/16), 256), none for ranges under 16 addresses. */
export function ipRangeOffset(c: CIDR): number {
  const size = cidrSize(c);
  if (size < 16n) return 0;
  const off = size / 16n;
  return Number(off < 16n ? 16n : off > 256n ? 256n : off);
}

export class IPAllocator {
  readonly cidr: CIDR;
  readonly family: IPFamily;
  private readonly base: bigint;
  private readonly bitmap: AllocationBitmap;

  constructor(opts: IPAllocatorOptions) {
    const c = parseCIDR(opts.cidr);
    if (!c) throw new AllocationError('Invalid', `invalid service CIDR ${JSON.stringify(opts.cidr)}`);
    this.cidr = c;
    this.family = c.family;
    // The network address is never handed out, nor the IPv4 broadcast address.
    let max = cidrSize(c) - 1n - (c.family === 'IPv4' ? 1n : 0n);
    if (max < 0n) max = 0n;
    if (max > BigInt(maxBitmapSize)) max = BigInt(maxBitmapSize);
    this.base = c.network + 1n;
    this.bitmap = new AllocationBitmap(Number(max), ipRangeOffset(c), opts.random ?? Math.random);
  }

  /** The first address (.1): the `kubernetes` Service's, never handed out dynamically. */
  get kubernetesServiceIP(): string {
    return formatIP({ family: this.family, value: this.base });
  }

  get rangeText(): string {
    return cidrString(this.cidr);
  }

  private offsetOf(ip: string): number | undefined {
    const p = parseIP(ip);
    if (!p || p.family !== this.family) return undefined;
    const off = p.value - this.base;
    return off < 0n || off >= BigInt(this.bitmap.max) ? undefined : Number(off);
  }

  contains(ip: string): boolean {
    return this.offsetOf(ip) !== undefined;
  }

  /** Reserves a specific address. Throws AllocationError (NotInRange / Allocated). */
  allocate(ip: string): void {
    const off = this.offsetOf(ip);
    if (off === undefined) {
      throw new AllocationError('NotInRange', `provided IP is not in the valid range. The range of valid IPs is ${this.rangeText}`);
    }
    if (!this.bitmap.allocate(off)) throw errAllocated('IP');
  }

  /** Picks a free address, preferring the upper band. Throws AllocationError (Full). */
  allocateNext(): string {
    const off = this.bitmap.allocateNext((i) => i === 0);
    if (off === undefined) throw errFull();
    return formatIP({ family: this.family, value: this.base + BigInt(off) });
  }

  release(ip: string): void {
    const off = this.offsetOf(ip);
    if (off !== undefined) this.bitmap.release(off);
  }

  has(ip: string): boolean {
    const off = this.offsetOf(ip);
    return off !== undefined && this.bitmap.has(off);
  }

  used(): number {
    return this.bitmap.used();
  }

  /** Free addresses, the reserved .1 included when it is not taken. */
  free(): number {
    return this.bitmap.free();
  }

  forEach(fn: (ip: string) => void): void {
    this.bitmap.forEach((i) => fn(formatIP({ family: this.family, value: this.base + BigInt(i) })));
  }

  /** Address bits of the family, for callers formatting ranges. */
  get bits(): number {
    return bitsOf(this.family);
  }
}
