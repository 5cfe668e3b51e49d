// Minimal protobuf wire-format reader: enough for Kubernetes' proto2 messages and for
// the FileDescriptorProtos the schema generator reads. No zigzag: Kubernetes never uses sint*.

export const WireType = { varint: 0, fixed64: 1, bytes: 2, startGroup: 3, endGroup: 4, fixed32: 5 } as const;

/** One decoded field: `value` is a bigint for varint/fixed, a byte slice for length-delimited. */
export interface WireField {
  number: number;
  wireType: number;
  varint?: bigint;
  bytes?: Uint8Array;
}

export class ProtoReader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array, private readonly what = 'message') {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  private fail(why: string): never {
    throw new Error(`malformed protobuf ${this.what}: ${why} at byte ${this.pos}`);
  }

  readVarint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.buf.length) this.fail('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    this.fail('varint longer than 10 bytes');
  }

  private take(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.buf.length) this.fail(`length ${n} runs past the end (${this.buf.length} bytes)`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  readFixed(bytes: 4 | 8): bigint {
    const b = this.take(bytes);
    let v = 0n;
    for (let i = bytes - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    return v;
  }

  /** Reads the next field; groups (deprecated, unused by Kubernetes) are rejected. */
  next(): WireField {
    const key = this.readVarint();
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (number === 0) this.fail('field number 0');
    switch (wireType) {
      case WireType.varint:
        return { number, wireType, varint: this.readVarint() };
      case WireType.fixed64:
        return { number, wireType, varint: this.readFixed(8) };
      case WireType.fixed32:
        return { number, wireType, varint: this.readFixed(4) };
      case WireType.bytes: {
        const len = this.readVarint();
        if (len > BigInt(this.buf.length)) this.fail(`length ${len} runs past the end (${this.buf.length} bytes)`);
        return { number, wireType, bytes: this.take(Number(len)) };
      }
      default:
        this.fail(`unsupported wire type ${wireType} for field ${number}`);
    }
  }

  /** All fields in order. */
  fields(): WireField[] {
    const out: WireField[] = [];
    while (!this.done) out.push(this.next());
    return out;
  }
}

/** Packed repeated scalars: a run of varints (or fixed-width values) inside one length-delimited field. */
export function unpack(bytes: Uint8Array, wireType: number, what: string): bigint[] {
  const r = new ProtoReader(bytes, what);
  const out: bigint[] = [];
  while (!r.done) {
    if (wireType === WireType.varint) out.push(r.readVarint());
    else out.push(r.readFixed(wireType === WireType.fixed64 ? 8 : 4));
  }
  return out;
}

export const utf8 = new TextDecoder('utf-8', { fatal: false });
