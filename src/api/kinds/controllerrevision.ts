/** ControllerRevision (apps/v1): ValidateControllerRevision{,Update} (pkg/apis/apps/validation). */
import type { FieldError } from '../status.js';
import type { ResourceStrategy } from '../strategy.js';
import type { KubeObject } from '../types.js';
import { invalid, invalidGo, required } from '../validation/field.js';
import { fieldImmutableErrorMsg, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../validation/metadata.js';
import { semanticEqual } from './semantic.js';

function validateRevisionBody(cr: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if (cr.data === undefined || cr.data === null) errs.push(required('data', 'data is mandatory'));
  const rev = cr.revision;
  if (typeof rev === 'number' && rev < 0) errs.push(invalid('revision', rev, 'must be greater than or equal to 0'));
  return errs;
}

export function validateControllerRevision(cr: KubeObject): FieldError[] {
  return [...validateObjectMeta(cr.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain }), ...validateRevisionBody(cr)];
}

export function controllerRevisionStrategy(): ResourceStrategy {
  return {
    applyDefaults: (obj: KubeObject) => {
      obj.revision ??= 0;
    },
    validate: validateControllerRevision,
    validateUpdate: (obj: KubeObject, old: KubeObject) => {
      const errs = validateObjectMetaUpdate(obj.metadata, old.metadata);
      errs.push(...validateRevisionBody(obj));
      if (!semanticEqual(obj.data, old.data)) errs.push(invalidGo('data', `runtime.RawExtension{Raw:[]uint8(${JSON.stringify(JSON.stringify(obj.data ?? null))}), Object:runtime.Object(nil)}`, fieldImmutableErrorMsg));
      return errs;
    },
  };
}
