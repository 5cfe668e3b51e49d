// Just enough of descriptor.proto to list messages and fields of a FileDescriptorProto.
import { ProtoReader, utf8 } from '../../src/apiserver/protobuf/wire.js';

export interface ProtoField {
  name: string;
  number: number;
  repeated: boolean;
  /** descriptor.proto FieldDescriptorProto.Type */
  type: number;
  /** Full message name without the leading dot. */
  typeName?: string;
}

export interface ProtoMessage {
  fullName: string;
  fields: ProtoField[];
  mapEntry: boolean;
  /** Go package path of the file that defines it. */
  goPackage: string;
}

export const protoScalar: Record<number, string> = {
  1: 'double', 2: 'float', 3: 'int64', 4: 'uint64', 5: 'int32', 6: 'fixed64', 7: 'fixed32', 8: 'bool',
  9: 'string', 12: 'bytes', 13: 'uint32', 14: 'int32', 15: 'sfixed32', 16: 'sfixed64', 17: 'sint32', 18: 'sint64',
};
export const TYPE_MESSAGE = 11;

const str = (b: Uint8Array | undefined) => utf8.decode(b ?? new Uint8Array());

function parseField(bytes: Uint8Array): ProtoField {
  const f: ProtoField = { name: '', number: 0, repeated: false, type: 0 };
  for (const w of new ProtoReader(bytes, 'FieldDescriptorProto').fields()) {
    if (w.number === 1) f.name = str(w.bytes);
    else if (w.number === 3) f.number = Number(w.varint);
    else if (w.number === 4) f.repeated = w.varint === 3n;
    else if (w.number === 5) f.type = Number(w.varint);
    else if (w.number === 6) f.typeName = str(w.bytes).replace(/^\./, '');
  }
  return f;
}

function parseMessage(bytes: Uint8Array, scope: string, goPackage: string, out: Map<string, ProtoMessage>): void {
  const msg: ProtoMessage = { fullName: '', fields: [], mapEntry: false, goPackage };
  const nested: Uint8Array[] = [];
  for (const w of new ProtoReader(bytes, 'DescriptorProto').fields()) {
    if (w.number === 1) msg.fullName = `${scope}.${str(w.bytes)}`;
    else if (w.number === 2) msg.fields.push(parseField(w.bytes!));
    else if (w.number === 3) nested.push(w.bytes!);
    else if (w.number === 7) {
      for (const o of new ProtoReader(w.bytes!, 'MessageOptions').fields()) if (o.number === 7 && o.varint) msg.mapEntry = true;
    }
  }
  out.set(msg.fullName, msg);
  for (const n of nested) parseMessage(n, msg.fullName, goPackage, out);
}

/** Adds every message of one FileDescriptorProto to `out`. */
export function parseFileDescriptor(fileName: string, bytes: Uint8Array, out: Map<string, ProtoMessage>): void {
  let pkg = '';
  let goPackage = fileName.replace(/\/generated\.proto$/, '');
  const messages: Uint8Array[] = [];
  for (const w of new ProtoReader(bytes, 'FileDescriptorProto').fields()) {
    if (w.number === 2) pkg = str(w.bytes);
    else if (w.number === 4) messages.push(w.bytes!);
    else if (w.number === 8) {
      for (const o of new ProtoReader(w.bytes!, 'FileOptions').fields()) if (o.number === 11) goPackage = str(o.bytes);
    }
  }
  for (const m of messages) parseMessage(m, pkg, goPackage, out);
}
