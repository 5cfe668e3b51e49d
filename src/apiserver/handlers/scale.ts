import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, invalid } from '../../api/status.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { fromLabelSelector, selectorToString } from '../../api/labels.js';
import { clone, type KubeObject } from '../../api/types.js';
import { checkBody, checkPatchedObject } from '../decode/body.js';
import { decodeBody, readBody, sendJSON } from '../http.js';
import type { RequestInfo } from '../request-info.js';
import type { RestStorage } from '../registry/rest-storage.js';
import type { RequestScope } from './context.js';
import { applyPatch } from './operations.js';

/** Scale's status.selector: the label selector as a string, like metav1.FormatLabelSelector ('' when none). */
function selectorString(obj: KubeObject): string {
  try {
    return selectorToString(fromLabelSelector((obj.spec as { selector?: LabelSelector } | undefined)?.selector ?? {}));
  } catch {
    return '';
  }
}

export function toScale(obj: KubeObject): KubeObject {
  const md = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: md.name, namespace: md.namespace, uid: md.uid, resourceVersion: md.resourceVersion, creationTimestamp: md.creationTimestamp },
    spec: { replicas: (obj.spec as { replicas?: number }).replicas ?? 1 },
    status: { replicas: (obj.status as { replicas?: number } | undefined)?.replicas ?? 0, selector: selectorString(obj) },
  };
}

const scaleKind = { group: 'autoscaling', version: 'v1', kind: 'Scale' };

/** GET/PUT/PATCH .../scale (autoscaling/v1 Scale over spec.replicas). */
export async function handleScale(scope: RequestScope): Promise<void> {
  const { req, res, info, storage, url } = scope;
  if (info.verb === 'get') {
    sendJSON(res, 200, toScale(await storage.get(info.namespace, info.name!)));
    return;
  }
  if (info.verb !== 'update' && info.verb !== 'patch') throw badRequest(`${info.verb} is not supported on scale`);
  const body = decodeBody(await readBody(req), 'application/json');
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  const dryRun = url.searchParams.getAll('dryRun').includes('All');
  const updated = await storage.guaranteedUpdate(
    info.namespace,
    info.name!,
    (current) => {
      let scale = toScale(current);
      if (info.verb === 'patch') {
        const type = contentType === 'application/json-patch+json' ? 'json' : contentType === 'application/strategic-merge-patch+json' ? 'strategic' : 'merge';
        scale = applyPatch({ ...storage.info, group: 'autoscaling', version: 'v1', kind: 'Scale', resource: 'scale' }, type, scale, body);
        checkPatchedObject(scaleKind, scale);
      } else scale = checkBody(scaleKind, clone(body)) as unknown as KubeObject;
      const rv = scale.metadata?.resourceVersion;
      const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas;
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)
        throw invalid({ group: 'autoscaling', kind: 'Scale' }, info.name!, [{ type: 'FieldValueInvalid', field: 'spec.replicas', value: replicas, detail: 'must be greater than or equal to 0' }]);
      return { ...current, metadata: { ...current.metadata, resourceVersion: info.verb === 'update' && rv ? rv : current.metadata.resourceVersion }, spec: { ...(current.spec as object), replicas } };
    },
    { dryRun },
  );
  sendJSON(res, 200, toScale(updated));
}
