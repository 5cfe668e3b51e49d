/**
 * Bound service-account tokens: TokenRequest (POST serviceaccounts/NAME/token) issues them and the
 * authenticator accepts them, as kube-apiserver's serviceaccount token authenticator does: signature,
 * issuer, audience, expiry, and that the service account (and the pod it is bound to) still exist with
 * the uids in the token.
 */
import { randomUUID } from 'node:crypto';
import { conflict, invalid, isStatusError, notFound } from '../../api/status.js';
import { prepareTokenRequestSpec, type TokenRequestSpec } from '../../api/kinds/tokenrequest.js';
import type { KubeObject } from '../../api/types.js';
import { rfc3339, type Clock } from '../../util/clock.js';
import type { RestStorage } from '../registry/rest-storage.js';
import type { TokenSigner } from './jwt.js';
import type { UserInfo } from './user.js';

export type { TokenRequestSpec };

export interface ServiceAccountTokensOptions {
  signer: TokenSigner;
  /** --service-account-issuer; also the API server's audience (--api-audiences defaults to it). */
  issuer: string;
  clock: Clock;
  storage(group: string, version: string, resource: string): RestStorage | undefined;
}

interface BoundClaims {
  iss?: string;
  aud?: string[] | string;
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  sub?: string;
  'kubernetes.io'?: { namespace?: string; serviceaccount?: { name?: string; uid?: string }; pod?: { name?: string; uid?: string } };
}

const tokenRequestKind = { group: 'authentication.k8s.io', kind: 'TokenRequest' };

export class ServiceAccountTokens {
  constructor(private readonly opts: ServiceAccountTokensOptions) {}

  get audiences(): string[] {
    return [this.opts.issuer];
  }

  private async get(resource: string, namespace: string, name: string): Promise<KubeObject | undefined> {
    try {
      return await this.opts.storage('', 'v1', resource)!.get(namespace, name);
    } catch (err) {
      if (isStatusError(err, 'NotFound')) return undefined;
      throw err;
    }
  }

  /** The TokenRequest answer (spec defaulted, status with the token), or a Status error. */
  async issue(namespace: string, name: string, body: { metadata?: Record<string, unknown>; spec?: TokenRequestSpec }): Promise<KubeObject> {
    const { spec, errs } = prepareTokenRequestSpec(body.spec, this.audiences);
    const ref = spec.boundObjectRef;
    if (errs.length) throw invalid(tokenRequestKind, name, errs);
    const sa = await this.get('serviceaccounts', namespace, name);
    if (!sa) throw notFound({ group: '', resource: 'serviceaccounts' }, name);
    let pod: KubeObject | undefined;
    if (ref) {
      pod = await this.get('pods', namespace, ref.name ?? '');
      if (!pod) throw notFound({ group: '', resource: 'pods' }, ref.name ?? '');
      if (ref.uid && ref.uid !== pod.metadata.uid)
        throw conflict({ group: '', resource: 'pods' }, ref.name ?? '', `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
      spec.boundObjectRef = { kind: ref.kind, apiVersion: 'v1', name: pod.metadata.name, uid: pod.metadata.uid };
    }
    const now = Math.floor(this.opts.clock.now() / 1000);
    const exp = now + spec.expirationSeconds;
    const claims: BoundClaims = {
      aud: spec.audiences,
      exp,
      iat: now,
      iss: this.opts.issuer,
      jti: randomUUID(),
      'kubernetes.io': {
        namespace,
        ...(pod ? { pod: { name: pod.metadata.name, uid: pod.metadata.uid } } : {}),
        serviceaccount: { name, uid: sa.metadata.uid },
      },
      nbf: now,
      sub: `system:serviceaccount:${namespace}:${name}`,
    };
    if (pod && (pod.spec as { nodeName?: string } | undefined)?.nodeName) {
      const node = await this.getNode((pod.spec as { nodeName: string }).nodeName);
      if (node) (claims['kubernetes.io'] as Record<string, unknown>).node = { name: node.metadata.name, uid: node.metadata.uid };
    }
    return {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name, namespace, creationTimestamp: rfc3339(this.opts.clock.now()) },
      spec,
      status: { token: this.opts.signer.sign(claims as Record<string, unknown>), expirationTimestamp: rfc3339(exp * 1000) },
    };
  }

  private async getNode(name: string): Promise<KubeObject | undefined> {
    try {
      return await this.opts.storage('', 'v1', 'nodes')!.get(undefined, name);
    } catch {
      return undefined;
    }
  }

  /** The user a service-account token stands for, or undefined when it is not a valid token of ours. */
  async authenticate(token: string): Promise<UserInfo | undefined> {
    const c = this.opts.signer.verify(token) as BoundClaims | undefined;
    if (!c || c.iss !== this.opts.issuer) return undefined;
    const aud = Array.isArray(c.aud) ? c.aud : c.aud ? [c.aud] : [];
    if (!aud.some((a) => this.audiences.includes(a))) return undefined;
    const now = this.opts.clock.now() / 1000;
    if (typeof c.exp !== 'number' || now >= c.exp) return undefined;
    if (typeof c.nbf === 'number' && now + 60 < c.nbf) return undefined;
    const k = c['kubernetes.io'];
    const ns = k?.namespace;
    const saName = k?.serviceaccount?.name;
    if (!ns || !saName || c.sub !== `system:serviceaccount:${ns}:${saName}`) return undefined;
    const sa = await this.get('serviceaccounts', ns, saName);
    if (!sa || sa.metadata.uid !== k.serviceaccount?.uid) return undefined;
    const extra: Record<string, string[]> = {};
    if (k.pod) {
      const pod = await this.get('pods', ns, k.pod.name ?? '');
      if (!pod || pod.metadata.uid !== k.pod.uid) return undefined;
      extra['authentication.kubernetes.io/pod-name'] = [k.pod.name!];
      extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid!];
    }
    if (c.jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${c.jti}`];
    return {
      username: `system:serviceaccount:${ns}:${saName}`,
      uid: sa.metadata.uid,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
      extra,
    };
  }
}
