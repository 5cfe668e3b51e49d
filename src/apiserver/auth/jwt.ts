/**
 * Service-account token signing (kube-apiserver's --service-account-signing-key-file): ES256 JWTs with
 * node:crypto. The key is made once and kept in the data dir; `kid` is the SHA-256 of the public key.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const b64url = (b: Buffer): string => b.toString('base64url');

export class TokenSigner {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  readonly kid: string;

  constructor(privateKeyPem: string) {
    this.privateKey = createPrivateKey(privateKeyPem);
    this.publicKey = createPublicKey(this.privateKey);
    this.kid = b64url(createHash('sha256').update(this.publicKey.export({ type: 'spki', format: 'der' })).digest());
  }

  /** `<dataDir>/server/tls/service.key` (PKCS#8 EC P-256), created on first start. */
  static loadOrCreate(file: string): TokenSigner {
    let pem: string;
    try {
      pem = fs.readFileSync(file, 'utf8');
    } catch {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      fs.writeFileSync(file, pem, { mode: 0o600 });
    }
    return new TokenSigner(pem);
  }

  static generate(): TokenSigner {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return new TokenSigner(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  }

  sign(claims: Record<string, unknown>): string {
    const header = b64url(Buffer.from(JSON.stringify({ alg: 'ES256', kid: this.kid })));
    const payload = b64url(Buffer.from(JSON.stringify(claims)));
    const sig = sign('sha256', Buffer.from(`${header}.${payload}`), { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${header}.${payload}.${b64url(sig)}`;
  }

  /** The claims of a token this key signed, or undefined (malformed, other key, bad signature). */
  verify(token: string): Record<string, unknown> | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    try {
      const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: string };
      if (header.alg !== 'ES256') return undefined;
      const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key: this.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(parts[2]!, 'base64url'));
      if (!ok) return undefined;
      const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
      return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
}
