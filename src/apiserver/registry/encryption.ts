import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Encryption at rest as kube-apiserver's EncryptionConfiguration (the shape k3s writes for
 * `--secrets-encryption`): the first provider writes, every provider reads. aescbc values are stored as
 * `k8s:enc:aescbc:v1:<key name>:` + 16-byte IV + AES-256-CBC(PKCS#7) of the object, as kube-apiserver does.
 */
export interface EncryptionConfiguration {
  kind: 'EncryptionConfiguration';
  apiVersion: 'apiserver.config.k8s.io/v1';
  resources: Array<{ resources: string[]; providers: Array<{ aescbc?: { keys: Array<{ name: string; secret: string }> }; identity?: Record<string, never> }> }>;
}

const prefix = 'k8s:enc:aescbc:v1:';

export interface ValueTransformer {
  /** resources (plural.group, core: plural) the transformer applies to */
  resources: Set<string>;
  encrypt(plain: Uint8Array): Uint8Array;
  /** plain values (written before encryption was on) pass through */
  decrypt(stored: Uint8Array): Uint8Array;
}

function startsWith(buf: Uint8Array, text: string): boolean {
  if (buf.length < text.length) return false;
  for (let i = 0; i < text.length; i++) if (buf[i] !== text.charCodeAt(i)) return false;
  return true;
}

export function transformerFor(config: EncryptionConfiguration): ValueTransformer {
  const entry = config.resources[0];
  if (!entry) throw new Error('encryption config: no resources');
  const keys = new Map<string, Buffer>();
  for (const p of entry.providers) for (const k of p.aescbc?.keys ?? []) {
    const secret = Buffer.from(k.secret, 'base64');
    if (secret.length !== 32 && secret.length !== 16 && secret.length !== 24) throw new Error(`encryption config: key ${k.name} is not 16, 24 or 32 bytes`);
    keys.set(k.name, secret);
  }
  const writer = entry.providers[0]?.aescbc?.keys[0];
  return {
    resources: new Set(entry.resources),
    encrypt(plain) {
      if (!writer) return plain;
      const key = keys.get(writer.name)!;
      const iv = randomBytes(16);
      const cipher = createCipheriv(`aes-${key.length * 8}-cbc`, key, iv);
      return Buffer.concat([Buffer.from(`${prefix}${writer.name}:`), iv, cipher.update(plain), cipher.final()]);
    },
    decrypt(stored) {
      if (!startsWith(stored, prefix)) return stored;
      const buf = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
      const colon = buf.indexOf(0x3a, prefix.length);
      const name = buf.subarray(prefix.length, colon).toString('utf8');
      const key = keys.get(name);
      if (!key) throw new Error(`no key named ${name} to decrypt a stored value`);
      const iv = buf.subarray(colon + 1, colon + 17);
      const decipher = createDecipheriv(`aes-${key.length * 8}-cbc`, key, iv);
      return Buffer.concat([decipher.update(buf.subarray(colon + 17)), decipher.final()]);
    },
  };
}

/** k3s' generated config: one fresh 32-byte aescbc key for secrets, identity to read older plain values. */
export function newEncryptionConfig(now: number): EncryptionConfiguration {
  return {
    kind: 'EncryptionConfiguration',
    apiVersion: 'apiserver.config.k8s.io/v1',
    resources: [{ resources: ['secrets'], providers: [{ aescbc: { keys: [{ name: `aescbckey-${new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`, secret: randomBytes(32).toString('base64') }] } }, { identity: {} }] }],
  };
}

/** Reads the config at `path`, creating it (mode 0600) on first use. */
export function loadOrCreateEncryptionConfig(path: string, now = Date.now()): EncryptionConfiguration {
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as EncryptionConfiguration;
  const config = newEncryptionConfig(now);
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  return config;
}
