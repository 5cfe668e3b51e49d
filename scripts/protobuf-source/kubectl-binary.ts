// Reads, from a kubectl executable (a statically linked Go ELF binary), the two facts the
// protobuf schema needs: the gzipped FileDescriptorProtos that gogo-protobuf registers for
// every k8s.io API package, and the Go struct definitions (field types and json/protobuf tags)
// from the Go runtime type data. Together they give proto field numbers and wire types
// (descriptors) and JSON names, inlining and pointer-ness (Go types) for exactly the
// Kubernetes version that kubectl was built from.
import { gunzipSync, constants } from 'node:zlib';

interface Section { name: string; addr: number; off: number; size: number }

/** Go reflect kinds (internal/abi). */
export const GoKind = { bool: 1, int32: 5, int64: 6, pointer: 22, slice: 23, string: 24, struct: 25, map: 21 } as const;

export interface GoField {
  name: string;
  tag: string;
  embedded: boolean;
  /** Address of the field's type. */
  type: number;
}

export class GoBinary {
  private readonly sections: Section[] = [];
  constructor(readonly buf: Buffer) {
    if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2) throw new Error('not a 64-bit ELF executable');
    const shoff = Number(buf.readBigUInt64LE(0x28));
    const shentsize = buf.readUInt16LE(0x3a), shnum = buf.readUInt16LE(0x3c), shstrndx = buf.readUInt16LE(0x3e);
    const raw = [];
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * shentsize;
      raw.push({ nameOff: buf.readUInt32LE(o), addr: Number(buf.readBigUInt64LE(o + 16)), off: Number(buf.readBigUInt64LE(o + 24)), size: Number(buf.readBigUInt64LE(o + 32)) });
    }
    const strtab = raw[shstrndx]!;
    for (const s of raw) {
      const start = strtab.off + s.nameOff;
      this.sections.push({ name: buf.toString('latin1', start, buf.indexOf(0, start)), addr: s.addr, off: s.off, size: s.size });
    }
  }

  section(name: string): Section {
    const s = this.sections.find((x) => x.name === name);
    if (!s) throw new Error(`ELF section ${name} not found`);
    return s;
  }

  /** File offset of a virtual address. */
  private at(va: number): number {
    for (const s of this.sections) if (s.addr && va >= s.addr && va < s.addr + s.size) return va - s.addr + s.off;
    throw new Error(`address 0x${va.toString(16)} is in no section`);
  }

  private u64(va: number): number {
    return Number(this.buf.readBigUInt64LE(this.at(va)));
  }

  private varint(p: number): [number, number] {
    let v = 0, shift = 0, b: number;
    do {
      b = this.buf[p++]!;
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return [v, p];
  }

  /** A runtime name record: flags, varint length, bytes, then optionally the struct tag. */
  private name(va: number): { name: string; tag: string; embedded: boolean } {
    let p = this.at(va);
    const flags = this.buf[p++]!;
    const [len, q] = this.varint(p);
    const name = this.buf.toString('latin1', q, q + len);
    let tag = '';
    if (flags & 2) {
      const [tlen, r] = this.varint(q + len);
      tag = this.buf.toString('latin1', r, r + tlen);
    }
    return { name, tag, embedded: (flags & 8) !== 0 };
  }

  // abi.Type: size 0, ptrdata 8, hash 16, tflag 20, align 21, fieldAlign 22, kind 23, equal 24, gcdata 32, str 40, ptrToThis 44.
  private get typesBase(): number {
    return this.section('.rodata').addr;
  }

  kind(t: number): number {
    return this.buf[this.at(t) + 23]! & 0x1f;
  }

  typeName(t: number): string {
    const tflag = this.buf[this.at(t) + 20]!;
    const n = this.name(this.typesBase + this.buf.readInt32LE(this.at(t) + 40)).name;
    return tflag & 2 ? n.slice(1) : n;
  }

  /** Element type of a pointer, slice or map value. */
  elem(t: number): number {
    const k = this.kind(t);
    if (k === GoKind.pointer || k === GoKind.slice) return this.u64(t + 48);
    if (k === GoKind.map) return this.u64(t + 56);
    throw new Error(`type ${this.typeName(t)} has no element`);
  }

  /** Package path of a named struct type (from its uncommon type, right after the 80-byte StructType). */
  pkgPath(t: number): string {
    if (!(this.buf[this.at(t) + 20]! & 1) || this.kind(t) !== GoKind.struct) return '';
    return this.name(this.typesBase + this.buf.readInt32LE(this.at(t) + 80)).name;
  }

  structFields(t: number): GoField[] {
    const ptr = this.u64(t + 56), len = this.u64(t + 64);
    const out: GoField[] = [];
    for (let i = 0; i < len; i++) {
      const f = ptr + i * 24;
      out.push({ ...this.name(this.u64(f)), type: this.u64(f + 8) });
    }
    return out;
  }

  /** Named struct types reachable as *T through the type links, keyed "pkg/path.Name". */
  namedStructs(): Map<string, number> {
    const links = this.section('.typelink');
    const out = new Map<string, number>();
    for (let i = 0; i < links.size; i += 4) {
      const t = this.typesBase + this.buf.readInt32LE(links.off + i);
      if (this.kind(t) !== GoKind.pointer) continue;
      const e = this.elem(t);
      if (this.kind(e) !== GoKind.struct) continue;
      const pkg = this.pkgPath(e);
      if (pkg) out.set(`${pkg}.${this.typeName(e).replace(/^.*\./, '')}`, e);
    }
    return out;
  }

  /** Every gzipped FileDescriptorProto in the binary, keyed by its file name. */
  fileDescriptors(): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    const magic = Buffer.from([0x1f, 0x8b, 0x08]);
    for (let i = this.buf.indexOf(magic); i >= 0; i = this.buf.indexOf(magic, i + 1)) {
      let data: Buffer;
      try {
        data = gunzipSync(this.buf.subarray(i, i + (1 << 20)), { finishFlush: constants.Z_SYNC_FLUSH });
      } catch {
        continue;
      }
      // FileDescriptorProto starts with field 1 (name), a short string ending in ".proto".
      if (data[0] !== 0x0a || data[1]! >= 0x80) continue;
      const name = data.toString('latin1', 2, 2 + data[1]!);
      if (name.endsWith('.proto') && !out.has(name)) out.set(name, data);
    }
    return out;
  }
}
