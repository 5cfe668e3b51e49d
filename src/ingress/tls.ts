/** TLS certificates for SNI from `kubernetes.io/tls` Secrets named in `spec.tls` of served Ingresses. */
import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Secret } from 'kubernetes-types/core/v1.js';
import type { Ingress } from 'kubernetes-types/networking/v1.js';
import { errorMessage } from '../util/errors.js';
import { normalizeHost, wildcardOf } from './match.js';

export interface Certificate {
  /** `namespace/name` of the Secret. */
  secret: string;
  context: SecureContext;
  x509: X509Certificate;
}

/** Parsed certificates by Secret uid + resourceVersion, so rebuilding a table does not re-parse them. */
export class CertificateCache {
  private entries = new Map<string, Certificate | Error>();

  get(secret: Secret): Certificate | Error {
    const id = `${secret.metadata?.uid}|${secret.metadata?.resourceVersion}`;
    let c = this.entries.get(id);
    if (!c) {
      c = parseSecret(secret);
      this.entries.set(id, c);
    }
    return c;
  }

  /** Forgets Secrets no longer referenced (called after each rebuild with the ones in use). */
  retain(secrets: readonly Secret[]): void {
    const keep = new Set(secrets.map((s) => `${s.metadata?.uid}|${s.metadata?.resourceVersion}`));
    for (const id of this.entries.keys()) if (!keep.has(id)) this.entries.delete(id);
  }
}

function parseSecret(secret: Secret): Certificate | Error {
  const name = `${secret.metadata?.namespace}/${secret.metadata?.name}`;
  const crt = secret.data?.['tls.crt'];
  const key = secret.data?.['tls.key'];
  if (!crt || !key) return new Error(`Secret "${name}" has no tls.crt or tls.key`);
  try {
    const cert = Buffer.from(crt, 'base64');
    const keyPem = Buffer.from(key, 'base64');
    return { secret: name, context: createSecureContext({ cert, key: keyPem }), x509: new X509Certificate(cert) };
  } catch (err) {
    return new Error(`Secret "${name}" does not hold a usable certificate: ${errorMessage(err)}`);
  }
}

export interface TlsTable {
  /** The certificate for an SNI name, or undefined for the fallback certificate. */
  lookup(servername: string): Certificate | undefined;
  /** Problems met while building (bad or missing Secrets), for logs. */
  problems: string[];
  /** Secrets in use. */
  secrets: Secret[];
}

/**
 * Hosts listed in `tls[].hosts` (exact or one-label wildcard) pick their Secret first, oldest
 * Ingress first; otherwise any referenced certificate whose SANs cover the name is used, as
 * ingress-nginx does for rule hosts (extractTLSSecretName).
 */
export function buildTlsTable(ingresses: readonly Ingress[], getSecret: (namespace: string, name: string) => Secret | undefined, cache: CertificateCache): TlsTable {
  const byHost = new Map<string, Certificate>();
  const all: Certificate[] = [];
  const problems: string[] = [];
  const secrets: Secret[] = [];
  for (const ing of ingresses) {
    const ns = ing.metadata?.namespace ?? '';
    for (const tls of ing.spec?.tls ?? []) {
      if (!tls.secretName) continue;
      const secret = getSecret(ns, tls.secretName);
      if (!secret) {
        problems.push(`Ingress "${ns}/${ing.metadata?.name}": Secret "${ns}/${tls.secretName}" not found`);
        continue;
      }
      const cert = cache.get(secret);
      if (cert instanceof Error) {
        problems.push(cert.message);
        continue;
      }
      if (!all.includes(cert)) {
        all.push(cert);
        secrets.push(secret);
      }
      for (const h of tls.hosts ?? []) {
        const host = normalizeHost(h);
        if (host && !byHost.has(host)) byHost.set(host, cert);
      }
    }
  }
  return {
    problems,
    secrets,
    lookup(servername: string): Certificate | undefined {
      const name = normalizeHost(servername);
      if (!name) return undefined;
      const exact = byHost.get(name);
      if (exact) return exact;
      const wildcard = wildcardOf(name);
      const wild = wildcard ? byHost.get(wildcard) : undefined;
      if (wild) return wild;
      return all.find((c) => c.x509.checkHost(name) !== undefined);
    },
  };
}
