import { webcrypto } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

type X509 = typeof import('@peculiar/x509');
let loaded: Promise<X509> | undefined;

/** The certificate library costs ~150 ms of imports: loaded only when a certificate is really made. */
function lib(): Promise<X509> {
  loaded ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Crypto);
    return x509;
  })();
  return loaded;
}

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const tenYears = 10 * 365 * 24 * 3600 * 1000;

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  const x509 = await lib();
  const der = await webcrypto.subtle.exportKey('pkcs8', key as unknown as webcrypto.CryptoKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importKeyPem(pem: string): Promise<CryptoKey> {
  const x509 = await lib();
  const der = x509.PemConverter.decode(pem)[0]!;
  return (await webcrypto.subtle.importKey('pkcs8', der, alg, true, ['sign'])) as unknown as CryptoKey;
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(12))).toString('hex').replace(/^[89a-f]/, '1');
}

/** A self-signed ECDSA P-256 certificate authority. */
export async function createCA(commonName: string, now = Date.now()): Promise<KeyPairPem> {
  const x509 = await lib();
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + tenYears),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}

export interface ServingCertOptions {
  ca: KeyPairPem;
  commonName: string;
  dnsNames: string[];
  ips: string[];
  now?: number;
  /** Also usable as a client certificate. */
  clientAuth?: boolean;
}

/** A leaf certificate signed by `ca`, with DNS and IP subject alternative names. */
export async function createServingCert(opts: ServingCertOptions): Promise<KeyPairPem> {
  const x509 = await lib();
  const now = opts.now ?? Date.now();
  const caCert = new x509.X509Certificate(opts.ca.certPem);
  const caKey = await importKeyPem(opts.ca.keyPem);
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const usages = [x509.ExtendedKeyUsage.serverAuth, ...(opts.clientAuth ? [x509.ExtendedKeyUsage.clientAuth] : [])];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${opts.commonName}`,
    issuer: caCert.subject,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + tenYears),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(usages),
      new x509.SubjectAlternativeNameExtension([
        ...opts.dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...opts.ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}

/**
 * A certificate kept as `<dir>/<name>.crt` and `.key`: read when present, made (and written) once
 * otherwise, so restarts never pay for making certificates.
 */
export async function loadOrCreateKeyPair(opts: { dir: string; name: string; create: () => Promise<KeyPairPem> }): Promise<KeyPairPem> {
  const crt = join(opts.dir, `${opts.name}.crt`);
  const key = join(opts.dir, `${opts.name}.key`);
  try {
    return { certPem: await readFile(crt, 'utf8'), keyPem: await readFile(key, 'utf8') };
  } catch {
    const pair = await opts.create();
    await mkdir(opts.dir, { recursive: true, mode: 0o700 });
    await writeFile(key, pair.keyPem, { mode: 0o600 });
    await writeFile(crt, pair.certPem, { mode: 0o644 });
    return pair;
  }
}
