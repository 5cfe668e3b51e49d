
import { clone } from '../types.js';/** JSON Merge Patch (RFC 7386), as `kubectl scale`/`kubectl patch --type=merge` send it. */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Returns a new value; neither argument is modified. `null` in the patch deletes the key. */
export function applyMergePatch<T = unknown>(original: unknown, patch: unknown): T {
  return mergeValue(original, patch) as T;
}

function mergeValue(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergeValue(out[k], v);
  }
  return out;
}

/** The merge patch that turns `from` into `to` (used by clients that diff two objects). */
export function createMergePatch(from: unknown, to: unknown): Json {
  if (!isObject(from) || !isObject(to)) return clone(to) as Json;
  const patch: Record<string, Json> = {};
  for (const k of Object.keys(from)) if (!(k in to)) patch[k] = null;
  for (const [k, v] of Object.entries(to)) {
    if (!(k in from)) patch[k] = clone(v) as Json;
    else if (JSON.stringify(from[k]) !== JSON.stringify(v)) {
      patch[k] = isObject(from[k]) && isObject(v) ? createMergePatch(from[k], v) : (clone(v) as Json);
    }
  }
  return patch;
}
