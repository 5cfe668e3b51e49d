/** The node-ipam range allocator's CIDR set: the cluster CIDR cut into per-node subnets, lowest free first. */
import { cidrString, parseCIDR, type CIDR } from '../../util/net.js';

export class CidrSet {
  private readonly cluster: CIDR;
  readonly nodeMaskSize: number;
  private readonly used = new Set<number>();
  readonly size: number;

  constructor(clusterCIDR: string, nodeMaskSize = 24) {
    const c = parseCIDR(clusterCIDR);
    if (!c) throw new Error(`invalid cluster CIDR "${clusterCIDR}"`);
    this.cluster = c;
    this.nodeMaskSize = Math.max(nodeMaskSize, c.prefix);
    this.size = 2 ** Math.min(30, this.nodeMaskSize - c.prefix);
  }

  private shift(): bigint {
    return BigInt((this.cluster.family === 'IPv4' ? 32 : 128) - this.nodeMaskSize);
  }

  private cidrAt(i: number): string {
    return cidrString({ family: this.cluster.family, network: this.cluster.network + (BigInt(i) << this.shift()), prefix: this.nodeMaskSize, text: '' });
  }

  /** The index of a subnet of this set, or undefined for anything else. */
  private indexOf(cidr: string): number | undefined {
    const c = parseCIDR(cidr);
    if (!c || c.family !== this.cluster.family || c.prefix !== this.nodeMaskSize) return undefined;
    const offset = c.network - this.cluster.network;
    if (offset < 0n) return undefined;
    const i = Number(offset >> this.shift());
    return i < this.size ? i : undefined;
  }

  /** Marks a CIDR in use (one a node already has); false if it is not one of ours. */
  occupy(cidr: string): boolean {
    const i = this.indexOf(cidr);
    if (i === undefined) return false;
    this.used.add(i);
    return true;
  }

  release(cidr: string): void {
    const i = this.indexOf(cidr);
    if (i !== undefined) this.used.delete(i);
  }

  /** The lowest free subnet, or undefined when the range is exhausted. */
  allocateNext(): string | undefined {
    for (let i = 0; i < this.size; i++) {
      if (this.used.has(i)) continue;
      this.used.add(i);
      return this.cidrAt(i);
    }
    return undefined;
  }
}
