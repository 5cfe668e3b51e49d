/** Node: name, podCIDRs, taints; podCIDR(s) and providerID may only go from unset to set. */
import type { Node } from 'kubernetes-types/core/v1.js';
import type { ResourceStrategy } from '../strategy.js';
import type { FieldError } from '../status.js';
import type { KubeObject } from '../types.js';
import { child, forbidden, index, invalid, notSupported, required } from '../validation/field.js';
import { nameIsDNSSubdomain, validateLabelName, validateObjectMeta, validateObjectMetaUpdate } from '../validation/metadata.js';
import { isValidLabelValue, validateCIDR } from '../validation/names.js';

const taintEffects = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];

export function validateNode(node: Node): FieldError[] {
  const errs = validateObjectMeta(node.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const spec = node.spec ?? {};
  (spec.podCIDRs ?? []).forEach((c, i) => errs.push(...validateCIDR(index('spec.podCIDRs', i), c)));
  if ((spec.podCIDRs ?? []).length > 2) errs.push(invalid('spec.podCIDRs', spec.podCIDRs, 'may specify no more than one CIDR for each IP family'));
  (spec.taints ?? []).forEach((t, i) => {
    const tp = index('spec.taints', i);
    errs.push(...validateLabelName(t.key, child(tp, 'key')));
    if (t.value) errs.push(...isValidLabelValue(t.value).map((m) => invalid(child(tp, 'value'), t.value, m)));
    if (!t.effect) errs.push(required(child(tp, 'effect')));
    else if (!taintEffects.includes(t.effect)) errs.push(notSupported(child(tp, 'effect'), t.effect, taintEffects));
  });
  return errs;
}

export function validateNodeUpdate(node: Node, old: Node): FieldError[] {
  const errs = validateObjectMetaUpdate(node.metadata, old.metadata);
  errs.push(...validateNode(node).filter((e) => !e.field.startsWith('metadata.')));
  const o = old.spec ?? {};
  const n = node.spec ?? {};
  if ((o.podCIDRs ?? []).length > 0 && JSON.stringify(o.podCIDRs) !== JSON.stringify(n.podCIDRs ?? [])) {
    errs.push(forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  }
  if (o.providerID && o.providerID !== n.providerID) errs.push(forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  return errs;
}

export function nodeStrategy(): ResourceStrategy {
  return {
    // a kubelet registers its Node with status
    keepStatusOnCreate: true,
    applyDefaults: (obj: KubeObject) => {
      const spec = (obj as unknown as Node).spec;
      // Kept in step as the API server's normalisation does: podCIDR mirrors podCIDRs[0].
      if (spec?.podCIDR && !spec.podCIDRs?.length) spec.podCIDRs = [spec.podCIDR];
      if (spec?.podCIDRs?.length && !spec.podCIDR) spec.podCIDR = spec.podCIDRs[0];
    },
    validate: (obj: KubeObject) => validateNode(obj as unknown as Node),
    validateUpdate: (obj: KubeObject, old: KubeObject) => validateNodeUpdate(obj as unknown as Node, old as unknown as Node),
  };
}
