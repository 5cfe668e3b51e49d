/**
 * Reads the server name (SNI) from a TLS ClientHello before the handshake starts, so the
 * certificate is chosen up front. Node's SNICallback adds the chosen certificate next to the
 * default one (OpenSSL keeps one per key type), and a client may then be served the default:
 * an ECDSA fallback wins over an RSA Secret under TLS 1.3, an RSA fallback over ECDSA under 1.2.
 */

export type HelloParse = { complete: false } | { complete: true; servername?: string };

const maxHello = 16 * 1024 + 5;

/** Parses what has arrived so far; `complete: false` means read more. Anything odd gives no name. */
export function parseClientHello(buf: Buffer): HelloParse {
  if (buf.length < 5) return { complete: false };
  if (buf[0] !== 22) return { complete: true };
  const recordLen = buf.readUInt16BE(3);
  if (buf.length < 5 + recordLen) return buf.length >= maxHello ? { complete: true } : { complete: false };
  try {
    return { complete: true, servername: serverName(buf.subarray(5, 5 + recordLen)) };
  } catch {
    return { complete: true };
  }
}

function serverName(hs: Buffer): string | undefined {
  if (hs[0] !== 1) return undefined; // not a ClientHello
  let p = 4 + 2 + 32; // handshake header, client_version, random
  p += 1 + hs[p]!; // session_id
  p += 2 + hs.readUInt16BE(p); // cipher_suites
  p += 1 + hs[p]!; // compression_methods
  if (p + 2 > hs.length) return undefined;
  const end = Math.min(hs.length, p + 2 + hs.readUInt16BE(p));
  p += 2;
  while (p + 4 <= end) {
    const type = hs.readUInt16BE(p);
    const len = hs.readUInt16BE(p + 2);
    p += 4;
    if (type === 0) {
      // server_name_list: u16 length, then entries of name_type(1) + u16 length + name
      let q = p + 2;
      const listEnd = p + 2 + hs.readUInt16BE(p);
      while (q + 3 <= listEnd) {
        const nameType = hs[q]!;
        const nameLen = hs.readUInt16BE(q + 1);
        if (nameType === 0) return hs.subarray(q + 3, q + 3 + nameLen).toString('ascii');
        q += 3 + nameLen;
      }
      return undefined;
    }
    p += len;
  }
  return undefined;
}
