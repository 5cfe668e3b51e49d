/** JSON Patch (RFC 6902), as `kubectl rollout undo` and `kubectl patch --type=json` send it. */
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { StatusError, badRequest } from '../status.js';
import { clone } from '../types.js';

const { applyPatch, JsonPatchError } = fastJsonPatch;

const ops = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/** 422 as the apiserver returns for a patch that does not apply (NewGenericServerResponse). */
function patchFailed(detail: string): StatusError {
  return new StatusError({
    reason: 'Invalid',
    code: 422,
    message: 'the server rejected our request due to an error in our request',
    details: { causes: [{ reason: 'UnexpectedServerResponse', message: detail }] },
  });
}

/**
 * Applies the operations to a copy of `original`. Throws 400 for a malformed patch document
 * and 422 for operations that do not apply (missing path, failed test).
 */
export function applyJsonPatch<T = unknown>(original: unknown, patch: unknown): T {
  if (!Array.isArray(patch)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  for (const op of patch) {
    if (typeof op !== 'object' || op === null || typeof (op as { op?: unknown }).op !== 'string') throw badRequest("Unexpected kind: missing 'op'");
    const o = op as { op: string; path?: unknown };
    if (!ops.has(o.op)) throw badRequest(`Unexpected kind: ${o.op}`);
    if (typeof o.path !== 'string') throw badRequest(`${o.op} operation missing path`);
  }
  const doc = clone(original);
  try {
    return applyPatch(doc, patch as Operation[], true, true, true).newDocument as T;
  } catch (e) {
    if (e instanceof JsonPatchError) {
      const op = e.operation as Operation | undefined;
      const path = op?.path ?? '';
      switch (e.name) {
        case 'TEST_OPERATION_FAILED':
          throw patchFailed(`testing value ${path} failed: test failed`);
        case 'OPERATION_PATH_UNRESOLVABLE':
        case 'OPERATION_FROM_UNRESOLVABLE':
          throw patchFailed(`${op?.op ?? 'patch'} operation does not apply: doc is missing path: ${JSON.stringify(path)}: missing value`);
        default:
          throw patchFailed(e.message.split('\n')[0]);
      }
    }
    throw patchFailed((e as Error).message);
  }
}
