/**
 * The allocation bitmap behind the ClusterIP and NodePort allocators (pkg/registry/core/service/allocator):
 * `max` items, of which the first `offset` form a "static" band that dynamic allocation uses only
 * once the upper band is full, so users can pick static values with few collisions.
 */
export class AllocationBitmap {
  private readonly bits: Uint8Array;
  private count = 0;
  private readonly offset: number;

  constructor(
    readonly max: number,
    offset: number,
    private readonly random: () => number,
  ) {
    this.offset = Math.max(0, Math.min(offset, max));
    this.bits = new Uint8Array(Math.ceil(max / 8));
  }

  has(i: number): boolean {
    return i >= 0 && i < this.max && (this.bits[i >> 3]! & (1 << (i & 7))) !== 0;
  }

  /** Marks `i` taken; false if it already was. */
  allocate(i: number): boolean {
    if (this.has(i)) return false;
    this.bits[i >> 3]! |= 1 << (i & 7);
    this.count++;
    return true;
  }

  release(i: number): void {
    if (!this.has(i)) return;
    this.bits[i >> 3]! &= ~(1 << (i & 7));
    this.count--;
  }

  used(): number {
    return this.count;
  }

  free(): number {
    return this.max - this.count;
  }

  /** randomScanStrategyWithOffset: a random start in the upper band, then the static band. */
  allocateNext(skip?: (i: number) => boolean): number | undefined {
    if (this.count >= this.max) return undefined;
    const take = (at: number): boolean => !skip?.(at) && this.allocate(at);
    const upper = this.max - this.offset;
    const start = Math.floor(this.random() * upper);
    for (let k = 0; k < upper; k++) {
      const at = this.offset + ((start + k) % upper);
      if (take(at)) return at;
    }
    const lowStart = Math.floor(this.random() * this.offset);
    for (let k = 0; k < this.offset; k++) {
      const at = (lowStart + k) % this.offset;
      if (take(at)) return at;
    }
    return undefined;
  }

  forEach(fn: (i: number) => void): void {
    for (let i = 0; i < this.max; i++) if (this.has(i)) fn(i);
  }
}
