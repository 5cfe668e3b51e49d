/** NodePort allocator (pkg/registry/core/service/portallocator). */
import { AllocationBitmap } from './bitmap.js';
import { AllocationError, errAllocated, errFull } from './errors.js';

export interface PortRange {
  base: number;
  size: number;
}

export const defaultNodePortRange: PortRange = { base: 30000, size: 2768 };

/** Parses `30000-32767`, `30000+2767` or a single port, as net.ParsePortRange does. */
export function parsePortRange(s: string): PortRange {
  const m = /^\s*(\d+)\s*(?:([-+])\s*(\d+)\s*)?$/.exec(s);
  if (!m) throw new AllocationError('Invalid', `unable to parse port range: ${s}`);
  const low = Number(m[1]);
  let high = low;
  if (m[2] === '-') high = Number(m[3]);
  else if (m[2] === '+') high = low + Number(m[3]);
  if (low < 0 || high > 65535 || high < low) throw new AllocationError('Invalid', `invalid port range: ${s}`);
  return { base: low, size: high - low + 1 };
}

export function portRangeString(r: PortRange): string {
  return r.size === 1 ? String(r.base) : `${r.base}-${r.base + r.size - 1}`;
}

/** Static band: min(max(16, size/32), 128), none for ranges of 16 or fewer ports. */
export function portRangeOffset(r: PortRange): number {
  if (r.size <= 16) return 0;
  return Math.min(Math.max(16, Math.floor(r.size / 32)), 128);
}

export interface PortAllocatorOptions {
  range?: PortRange | string;
  random?: () => number;
}

export class PortAllocator {
  readonly range: PortRange;
  private readonly bitmap: AllocationBitmap;

  constructor(opts: PortAllocatorOptions = {}) {
    this.range = typeof opts.range === 'string' ? parsePortRange(opts.range) : (opts.range ?? defaultNodePortRange);
    this.bitmap = new AllocationBitmap(this.range.size, portRangeOffset(this.range), opts.random ?? Math.random);
  }

  contains(port: number): boolean {
    return Number.isInteger(port) && port >= this.range.base && port < this.range.base + this.range.size;
  }

  allocate(port: number): void {
    if (!this.contains(port)) {
      throw new AllocationError('NotInRange', `provided port is not in the valid range. The range of valid ports is ${portRangeString(this.range)}`);
    }
    if (!this.bitmap.allocate(port - this.range.base)) throw errAllocated('port');
  }

  allocateNext(): number {
    const off = this.bitmap.allocateNext();
    if (off === undefined) throw errFull();
    return this.range.base + off;
  }

  release(port: number): void {
    if (this.contains(port)) this.bitmap.release(port - this.range.base);
  }

  has(port: number): boolean {
    return this.contains(port) && this.bitmap.has(port - this.range.base);
  }

  used(): number {
    return this.bitmap.used();
  }

  free(): number {
    return this.bitmap.free();
  }

  forEach(fn: (port: number) => void): void {
    this.bitmap.forEach((i) => fn(this.range.base + i));
  }
}
