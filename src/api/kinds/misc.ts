/** Event, Lease, ServiceAccount, L2Advertisement: metadata and the few spec rules they have. */
import type { Event } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { ResourceStrategy } from '../strategy.js';
import type { FieldError } from '../status.js';
import type { KubeObject } from '../types.js';
import { invalid } from '../validation/field.js';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../validation/metadata.js';
import { isDNS1123Subdomain } from '../validation/names.js';

/** A strategy that validates only ObjectMeta (plus optional spec checks). */
export function metaOnlyStrategy(opts: { namespaced: boolean; validateSpec?: (obj: KubeObject) => FieldError[] }, extra: Partial<ResourceStrategy> = {}): ResourceStrategy {
  const spec = opts.validateSpec ?? (() => []);
  return {
    validate: (obj: KubeObject) => [...validateObjectMeta(obj.metadata, { namespaced: opts.namespaced, nameFn: nameIsDNSSubdomain }), ...spec(obj)],
    validateUpdate: (obj: KubeObject, old: KubeObject) => [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...spec(obj)],
    ...extra,
  };
}

/** legacyValidateEvent: the event lives in its involved object's namespace. */
export function validateEventSpec(ev: Event): FieldError[] {
  const errs: FieldError[] = [];
  const ns = ev.metadata?.namespace ?? '';
  const involved = ev.involvedObject?.namespace ?? '';
  if (!ev.eventTime) {
    if (!involved) {
      if (ns !== '' && ns !== 'default') errs.push(invalid('involvedObject.namespace', involved, 'does not match event.namespace'));
    } else if (ns !== involved) {
      errs.push(invalid('involvedObject.namespace', involved, 'does not match event.namespace'));
    }
  }
  errs.push(...isDNS1123Subdomain(ns).map((m) => invalid('namespace', ns, m)));
  return errs;
}

export function validateLeaseSpec(lease: Lease): FieldError[] {
  const errs: FieldError[] = [];
  const s = lease.spec ?? {};
  if (s.leaseDurationSeconds != null && s.leaseDurationSeconds <= 0) errs.push(invalid('spec.leaseDurationSeconds', s.leaseDurationSeconds, 'must be greater than 0'));
  if (s.leaseTransitions != null && s.leaseTransitions < 0) errs.push(invalid('spec.leaseTransitions', s.leaseTransitions, 'must be greater than or equal to 0'));
  return errs;
}

export const eventStrategy = (): ResourceStrategy => metaOnlyStrategy({ namespaced: true, validateSpec: (o) => validateEventSpec(o as unknown as Event) }, { allowCreateOnUpdate: true });
export const leaseStrategy = (): ResourceStrategy => metaOnlyStrategy({ namespaced: true, validateSpec: (o) => validateLeaseSpec(o as unknown as Lease) }, { allowCreateOnUpdate: true });
export const serviceAccountStrategy = (): ResourceStrategy => metaOnlyStrategy({ namespaced: true });
export const l2AdvertisementStrategy = (): ResourceStrategy => metaOnlyStrategy({ namespaced: true }, { tracksGeneration: true });
