// DNS messages on the wire (dns-packet), response headers as CoreDNS writes them, and truncation.
import dnsPacket, { type Answer, type DecodedPacket, type OptAnswer, type Question } from 'dns-packet';
import { rcodes } from './answer.js';

export const flags = {
  AA: 0x400,
  TC: 0x200,
  RD: 0x100,
  RA: 0x80,
  CD: 0x10,
  OPCODE: 0x7800,
} as const;

/** The decoded query, or the header id alone when the body does not parse (answered FORMERR). */
export type ParsedQuery = { ok: true; packet: DecodedPacket } | { ok: false; id: number; flags: number } | undefined;

export function parseQuery(buf: Buffer): ParsedQuery {
  if (buf.length < 12) return undefined;
  try {
    return { ok: true, packet: dnsPacket.decode(buf) };
  } catch {
    return { ok: false, id: buf.readUInt16BE(0), flags: buf.readUInt16BE(2) & 0x7fff };
  }
}

export function optOf(p: DecodedPacket): OptAnswer | undefined {
  return (p.additionals ?? []).find((a): a is OptAnswer => a.type === 'OPT');
}

/** The largest response the client takes: 64 KiB over TCP, else its EDNS0 size (at least 512). */
export function maxResponseSize(query: DecodedPacket, tcp: boolean): number {
  if (tcp) return 65535;
  const opt = optOf(query);
  return Math.max(512, Math.min(opt?.udpPayloadSize ?? 512, 65535));
}

export interface ResponseParts {
  rcode: number;
  authoritative: boolean;
  answers?: Answer[];
  authorities?: Answer[];
  additionals?: Answer[];
}

/** SetReply: id, opcode, RD and CD copied; the question echoed; the client's OPT echoed (SizeAndDo). */
export function buildResponse(query: { id: number; flags: number; questions?: Question[]; opt?: OptAnswer }, parts: ResponseParts, maxSize: number): Buffer {
  let f = (query.flags & (flags.OPCODE | flags.RD | flags.CD)) | (parts.rcode & 0xf);
  if (parts.authoritative) f |= flags.AA;
  const opt: Answer[] = query.opt ? [{ type: 'OPT', name: '.', udpPayloadSize: query.opt.udpPayloadSize, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [];
  const packet = {
    type: 'response' as const,
    id: query.id,
    flags: f,
    questions: query.questions ?? [],
    answers: parts.answers ?? [],
    authorities: parts.authorities ?? [],
    additionals: [...(parts.additionals ?? []), ...opt],
  };
  let buf = dnsPacket.encode(packet);
  if (buf.length <= maxSize) return buf;
  // miekg/dns Msg.Truncate: extra goes first, then records from the end; TC when answers or authorities were cut
  packet.additionals = opt;
  buf = dnsPacket.encode(packet);
  let cut = false;
  while (buf.length > maxSize && (packet.answers.length > 0 || packet.authorities.length > 0)) {
    if (packet.authorities.length > 0) packet.authorities = packet.authorities.slice(0, -1);
    else packet.answers = packet.answers.slice(0, -1);
    cut = true;
    buf = dnsPacket.encode(packet);
  }
  if (cut) {
    packet.flags |= flags.TC;
    buf = dnsPacket.encode(packet);
  }
  return buf;
}

/** An error reply (FORMERR, SERVFAIL, NOTIMP) to whatever of the query could be read. */
export function errorResponse(query: ParsedQuery & object, rcode: number): Buffer {
  if (query.ok) {
    const p = query.packet;
    return buildResponse({ id: p.id ?? 0, flags: p.flags ?? 0, questions: p.questions, opt: optOf(p) }, { rcode, authoritative: false }, 65535);
  }
  return buildResponse({ id: query.id, flags: query.flags }, { rcode, authoritative: false }, 65535);
}

export { rcodes };
