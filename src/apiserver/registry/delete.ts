import { badRequest, conflict } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import { rfc3339 } from '../../util/clock.js';
import type { RestStorage } from './rest-storage.js';

/** metav1.DeleteOptions, as the API server reads them. */
export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  orphanDependents?: boolean;
  dryRun?: boolean;
}

export interface DeleteResult {
  object: KubeObject;
  /** false when deletion is pending (finalizers, graceful pod termination) */
  deleted: boolean;
}

/**
 * Kubernetes' deletion flow: preconditions, graceful deletion (the strategy's grace period), propagation finalizers
 * (orphan / foregroundDeletion), finalizers deferring removal, then removal from storage.
 */
export async function deleteObject(storage: RestStorage, namespace: string | undefined, name: string, opts: DeleteOptions, now: number): Promise<DeleteResult> {
  if (opts.gracePeriodSeconds !== undefined && opts.gracePeriodSeconds < 0) throw badRequest('gracePeriodSeconds must be non-negative');
  const policy = opts.propagationPolicy ?? (opts.orphanDependents ? 'Orphan' : 'Background');
  const current = await storage.get(namespace, name);
  if (opts.preconditions?.uid && opts.preconditions.uid !== current.metadata.uid)
    throw conflict(storage.gr, name, `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${current.metadata.uid}`);
  if (opts.preconditions?.resourceVersion && opts.preconditions.resourceVersion !== current.metadata.resourceVersion)
    throw conflict(storage.gr, name, `Precondition failed: ResourceVersion in precondition: ${opts.preconditions.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`);

  const grace = storage.kind.gracePeriodSeconds?.(current, opts.gracePeriodSeconds) ?? 0;
  const finalizers = new Set(current.metadata.finalizers ?? []);
  if (policy === 'Orphan') finalizers.add('orphan');
  if (policy === 'Foreground') finalizers.add('foregroundDeletion');
  if (policy === 'Background') {
    // an explicit background deletion overrides propagation finalizers a previous request added
    if (current.metadata.deletionTimestamp) finalizers.delete('foregroundDeletion');
  }
  const pending = finalizers.size > 0 || grace > 0 || storage.hasPendingFinalizers(current);
  if (!pending) return { object: await storage.remove(current, !!opts.dryRun), deleted: true };

  const object = await storage.guaranteedUpdate(
    namespace,
    name,
    (obj) => {
      const md = obj.metadata;
      const deadline = now + grace * 1000;
      if (!md.deletionTimestamp || Date.parse(md.deletionTimestamp) > deadline) {
        md.deletionTimestamp = rfc3339(deadline);
        md.deletionGracePeriodSeconds = grace;
      }
      md.finalizers = [...finalizers];
      if (!md.finalizers.length) delete md.finalizers;
      storage.kind.prepareForDelete?.(obj);
      return obj;
    },
    { dryRun: opts.dryRun, deleting: true },
  );
  // a pod with grace 0 on a finished path, or nothing left to wait for
  return { object, deleted: false };
}
