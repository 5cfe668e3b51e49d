import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { KeyPairPem } from '../util/pki.js';

/** SANs via node:crypto: restarts then never load the certificate-writing library (~150 ms of imports). */
function certificateSANs(certPem: string): { dnsNames: string[]; ips: string[] } {
  const entries = (new X509Certificate(certPem).subjectAltName ?? '').split(', ');
  return {
    dnsNames: entries.filter((e) => e.startsWith('DNS:')).map((e) => e.slice(4)),
    ips: entries.filter((e) => e.startsWith('IP Address:')).map((e) => e.slice(11)),
  };
}

export interface ServerCredentials {
  ca: KeyPairPem;
  serving: KeyPairPem;
  /** The admin bearer token (also accepted from agents joining with --token). */
  token: string;
}

async function readPair(dir: string, name: string): Promise<KeyPairPem | undefined> {
  try {
    return { certPem: await readFile(join(dir, `${name}.crt`), 'utf8'), keyPem: await readFile(join(dir, `${name}.key`), 'utf8') };
  } catch {
    return undefined;
  }
}

async function writePair(dir: string, name: string, pair: KeyPairPem): Promise<void> {
  await writeFile(join(dir, `${name}.crt`), pair.certPem, { mode: 0o644 });
  await writeFile(join(dir, `${name}.key`), pair.keyPem, { mode: 0o600 });
}

/**
 * The CA, serving certificate and admin token in `<data-dir>/server/tls` (made on first start, kept after).
 * The serving certificate is re-issued when its SANs no longer cover the addresses we serve on.
 */
export async function loadOrCreateCredentials(opts: { dataDir: string; ips: string[]; dnsNames: string[]; token?: string }): Promise<ServerCredentials> {
  const dir = join(opts.dataDir, 'server', 'tls');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  let ca = await readPair(dir, 'server-ca');
  const pki = () => import('../util/pki.js');
  if (!ca) {
    const { createCA } = await pki();
    ca = await createCA(`skiff-server-ca@${Math.floor(Date.now() / 1000)}`);
    await writePair(dir, 'server-ca', ca);
  }
  let serving = await readPair(dir, 'serving-kube-apiserver');
  const sans = serving ? certificateSANs(serving.certPem) : undefined;
  if (!serving || !opts.ips.every((ip) => sans!.ips.includes(ip)) || !opts.dnsNames.every((d) => sans!.dnsNames.includes(d))) {
    const { createServingCert } = await pki();
    serving = await createServingCert({ ca, commonName: 'kube-apiserver', ips: opts.ips, dnsNames: opts.dnsNames });
    await writePair(dir, 'serving-kube-apiserver', serving);
  }
  const tokenFile = join(opts.dataDir, 'server', 'token');
  let token = opts.token;
  if (!token) {
    try {
      token = (await readFile(tokenFile, 'utf8')).trim();
    } catch {
      token = `K10${randomBytes(24).toString('hex')}`;
    }
  }
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  return { ca, serving, token };
}
