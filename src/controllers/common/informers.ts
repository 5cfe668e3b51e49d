/** Small helpers for controllers sharing informers. */
import type { KubeObject } from '../../api/types.js';
import type { SharedInformer } from '../../client/informer.js';
import { indexByNodeName, type IndexFunc } from '../../client/store.js';
import { errorMessage } from '../../util/errors.js';

/** Adds an indexer unless another controller already added one under that name. */
export function ensureIndex<T extends KubeObject>(informer: SharedInformer<T>, name: string, fn: IndexFunc<T>): void {
  try {
    informer.addIndexers({ [name]: fn });
  } catch (err) {
    if (!/already exists/.test(errorMessage(err))) throw err;
  }
}

/**
 * Our own name for the namespace index: other controllers add `namespace` without tolerating a
 * duplicate, so the workload controllers keep to a name of their own.
 */
export const byNamespace = 'workloads/namespace';

export function indexNamespaces<T extends KubeObject>(informer: SharedInformer<T>): void {
  ensureIndex(informer, byNamespace, (obj) => [obj.metadata.namespace ?? '']);
}

/** The informer's objects in one namespace (after indexNamespaces). */
export function listInNamespace<T extends KubeObject>(informer: SharedInformer<T>, namespace: string): T[] {
  return informer.store.byIndex(byNamespace, namespace);
}

/** One pods-by-node index for every controller sharing the pod informer (scheduler, node lifecycle). */
const byNodeName = 'pods/nodeName';

export function indexPodsByNode<T extends KubeObject>(informer: SharedInformer<T>): void {
  ensureIndex(informer, byNodeName, indexByNodeName);
}

/** The informer's pods bound to `node` ('' for the unscheduled ones), after indexPodsByNode. */
export function podsOnNode<T extends KubeObject>(informer: SharedInformer<T>, node: string): T[] {
  return informer.store.byIndex(byNodeName, node);
}
