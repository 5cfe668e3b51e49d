/** Namespace: name is a DNS-1123 label; `kubernetes` finalizer; phase Active; metadata.name label. */
import type { Namespace } from 'kubernetes-types/core/v1.js';
import type { ResourceStrategy } from '../strategy.js';
import type { FieldError } from '../status.js';
import type { KubeObject } from '../types.js';
import { invalid } from '../validation/field.js';
import { validateNamespaceName, validateObjectMeta, validateObjectMetaUpdate } from '../validation/metadata.js';
import { isQualifiedName } from '../validation/names.js';

const standardFinalizers = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

export function applyNamespaceDefaults(ns: Namespace): void {
  const meta = ns.metadata ?? {};
  // SetDefaults_Namespace: the immutable name label (kubernetes.io/metadata.name).
  if (meta.name) (meta as { labels?: Record<string, string> }).labels = { ...(meta.labels ?? {}), 'kubernetes.io/metadata.name': meta.name };
  const spec = ((ns as { spec?: Namespace['spec'] }).spec ??= {});
  // Never re-added once deletion has begun: the namespace controller empties it to finish.
  if (!spec.finalizers && !meta.deletionTimestamp) spec.finalizers = ['kubernetes'];
  const status = ((ns as { status?: Namespace['status'] }).status ??= {});
  status.phase ??= 'Active';
}

function validateFinalizerName(name: string, field: string): FieldError[] {
  const errs = isQualifiedName(name).map((m) => invalid(field, name, m));
  if (!name.includes('/') && !standardFinalizers.has(name)) {
    errs.push(invalid(field, name, 'name is neither a standard finalizer name nor is it fully qualified'));
  }
  return errs;
}

export function validateNamespace(ns: Namespace): FieldError[] {
  const errs = validateObjectMeta(ns.metadata, { namespaced: false, nameFn: validateNamespaceName });
  for (const f of ns.spec?.finalizers ?? []) errs.push(...validateFinalizerName(f, 'spec.finalizers'));
  return errs;
}

export function namespaceStrategy(): ResourceStrategy {
  return {
    applyDefaults: (obj: KubeObject) => applyNamespaceDefaults(obj as unknown as Namespace),
    validate: (obj: KubeObject) => validateNamespace(obj as unknown as Namespace),
    validateUpdate: (obj: KubeObject, old: KubeObject) => {
      const ns = obj as unknown as Namespace;
      const errs = validateObjectMetaUpdate(ns.metadata, (old as unknown as Namespace).metadata);
      for (const f of ns.spec?.finalizers ?? []) errs.push(...validateFinalizerName(f, 'spec.finalizers'));
      return errs;
    },
    prepareForCreate: (obj: KubeObject) => {
      obj.status = { phase: 'Active' };
    },
    prepareForDelete: (obj: KubeObject) => {
      obj.status = { ...(obj.status as object), phase: 'Terminating' };
    },
    // the namespace controller empties spec.finalizers (through /finalize) once the contents are gone
    pendingFinalizers: (obj: KubeObject) => ((obj as unknown as Namespace).spec?.finalizers ?? []).length > 0,
    returnDeletedObject: true,
    updateSubresources: {
      // PUT namespaces/NAME/finalize: only spec.finalizers moves
      finalize: (current: KubeObject, requested: KubeObject) => ({ ...current, spec: { ...(current.spec as object), finalizers: (requested as unknown as Namespace).spec?.finalizers ?? [] } }),
    },
  };
}
