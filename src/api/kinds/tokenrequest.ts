/** TokenRequest (authentication.k8s.io/v1, serviceaccounts/NAME/token): defaults and validation of its spec. */
import type { FieldError } from '../status.js';

export interface TokenRequestSpec {
  audiences?: string[];
  expirationSeconds?: number;
  boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string };
}

export type DefaultedTokenRequestSpec = TokenRequestSpec & { audiences: string[]; expirationSeconds: number };

/** The kinds a token may be bound to (skiff binds to pods only). */
const boundKinds = ['Pod'];

/** Defaults (the server's audiences, one hour) and validation, as the TokenRequest REST storage applies them. */
export function prepareTokenRequestSpec(given: TokenRequestSpec | undefined, audiences: string[]): { spec: DefaultedTokenRequestSpec; errs: FieldError[] } {
  const spec = { ...(given ?? {}) } as DefaultedTokenRequestSpec;
  spec.audiences = spec.audiences && spec.audiences.length ? spec.audiences : audiences;
  spec.expirationSeconds ??= 3600;
  const errs: FieldError[] = [];
  if (spec.expirationSeconds < 600) errs.push({ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', value: spec.expirationSeconds, detail: 'may not specify a duration less than 10 minutes' });
  if (spec.expirationSeconds > 2 ** 32) errs.push({ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', value: spec.expirationSeconds, detail: 'may not specify a duration larger than 2^32 seconds' });
  const ref = spec.boundObjectRef;
  if (ref && !boundKinds.includes(ref.kind ?? '')) errs.push({ type: 'FieldValueNotSupported', field: 'spec.boundObjectRef.kind', value: ref.kind ?? '', detail: `supported values: ${boundKinds.map((k) => JSON.stringify(k)).join(', ')}` });
  return { spec, errs };
}
