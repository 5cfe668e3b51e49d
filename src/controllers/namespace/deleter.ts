import { resources, type ResourceInfo } from '../../api/resources.js';
import { isStatusError } from '../../api/status.js';
import type { RestClient } from '../../client/rest.js';
import { errorMessage } from '../../util/errors.js';
import { emptyTotals, gvrLabel, type ContentTotals } from './conditions.js';

/** Every namespaced resource that can be listed and deleted. */
export function namespacedResources(): ResourceInfo[] {
  return resources.filter((r) => r.namespaced && r.verbs.includes('list') && r.verbs.includes('delete'));
}

/** Deletes in flight at once, for a resource without deletecollection and for expired pods. */
const deleteConcurrency = 16;

/** Gone already, or replaced by a namesake the next pass will delete. */
function ignoreGone(err: unknown): void {
  if (!isStatusError(err, 'NotFound') && !isStatusError(err, 'Conflict')) throw err;
}

async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** How long past its deletion deadline a pod may stay before the namespace controller removes it. */
export const defaultForcePodsAfterMs = 5_000;

/**
 * Deletes everything in a namespace, resource by resource, then counts what is still there
 * (objects waiting on grace periods or finalizers). Deletion uses Background propagation.
 */
export async function deleteAllContent(opts: { client: RestClient; namespace: string; resources?: ResourceInfo[]; signal?: AbortSignal; now?: number; forcePodsAfterMs?: number }): Promise<ContentTotals> {
  const { client, namespace, signal } = opts;
  const now = opts.now ?? Date.now();
  const forceAfter = opts.forcePodsAfterMs ?? defaultForcePodsAfterMs;
  const totals = emptyTotals();
  for (const info of opts.resources ?? namespacedResources()) {
    try {
      const before = await client.list(info, { namespace, signal });
      const live = before.items.filter((item) => !item.metadata.deletionTimestamp);
      if (live.length > 0 && info.verbs.includes('deletecollection')) {
        // one DELETE collection per resource, as Kubernetes' namespaced resources deleter
        await client.deleteCollection(info, { namespace, propagationPolicy: 'Background', signal });
      } else {
        await forEachLimit(live, deleteConcurrency, (item) => client.delete(info, { namespace, name: item.metadata.name!, propagationPolicy: 'Background', preconditions: { uid: item.metadata.uid }, signal }).then(() => undefined, ignoreGone));
      }
      // a pod whose grace period ran out long ago has no kubelet finishing it (gone, or unable to run its
      // spec): the namespace must not stay Terminating for it, so it is deleted at once (grace 0)
      const expired = before.items.filter((item) => info.kind === 'Pod' && item.metadata.deletionTimestamp && !(item.metadata.finalizers ?? []).length && Date.parse(item.metadata.deletionTimestamp) + forceAfter <= now);
      await forEachLimit(expired, deleteConcurrency, (item) => client.delete(info, { namespace, name: item.metadata.name!, gracePeriodSeconds: 0, preconditions: { uid: item.metadata.uid }, signal }).then(() => undefined, ignoreGone));
      const after = before.items.length > 0 ? await client.list(info, { namespace, signal }) : before;
      if (after.items.length === 0) continue;
      totals.remaining.set(gvrLabel(info), after.items.length);
      for (const item of after.items) {
        for (const f of item.metadata.finalizers ?? []) totals.finalizers.set(f, (totals.finalizers.get(f) ?? 0) + 1);
      }
    } catch (err) {
      if (signal?.aborted) throw err;
      totals.deleteErrors.push(`${gvrLabel(info)}: ${errorMessage(err)}`);
    }
  }
  return totals;
}
