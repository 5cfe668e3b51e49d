// Which pods a Service selects and which Services select a pod, from the caches in time proportional to
// the answer: pods are filed under each label pair, Services under each pair of their selector (a
// namespace of 1,000 Services and 3,000 pods otherwise costs a scan of all of them per pod event and per
// reconcile, for the EndpointSlice and Endpoints controllers alike).
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../api/types.js';
import type { SharedInformer } from '../../client/informer.js';
import { ensureIndex } from '../common/informers.js';
import { managesEndpointsFor, selectsPod } from './pods.js';

const podLabelIndex = 'endpoints/pod-label';
const serviceSelectorIndex = 'endpoints/service-selector';

const pairKey = (namespace: string | undefined, k: string, v: string) => `${namespace ?? ''}/${k}=${v}`;

/** Adds both indexes (once per shared informer, whichever controller comes first). */
export function indexSelection(services: SharedInformer<Service & KubeObject>, pods: SharedInformer<Pod & KubeObject>): void {
  ensureIndex(pods, podLabelIndex, (p) => Object.entries(p.metadata.labels ?? {}).map(([k, v]) => pairKey(p.metadata.namespace, k, v)));
  ensureIndex(services, serviceSelectorIndex, (s) => (managesEndpointsFor(s) ? Object.entries(s.spec!.selector!).map(([k, v]) => pairKey(s.metadata.namespace, k, v)) : []));
}

/** The pods `svc` selects (after indexSelection). */
export function podsSelectedBy<P extends Pod & KubeObject>(pods: SharedInformer<P>, svc: Service & KubeObject): P[] {
  if (!managesEndpointsFor(svc)) return [];
  let fewest: P[] | undefined;
  for (const [k, v] of Object.entries(svc.spec!.selector!)) {
    const some = pods.store.byIndex(podLabelIndex, pairKey(svc.metadata.namespace, k, v));
    if (!fewest || some.length < fewest.length) fewest = some;
  }
  return (fewest ?? []).filter((p) => selectsPod(svc, p));
}

/** The Services whose selector picks `pod` (after indexSelection). */
export function servicesSelecting<S extends Service & KubeObject>(services: SharedInformer<S>, pod: Pod & KubeObject): S[] {
  const found = new Set<S>();
  for (const [k, v] of Object.entries(pod.metadata.labels ?? {})) {
    for (const s of services.store.byIndex(serviceSelectorIndex, pairKey(pod.metadata.namespace, k, v))) if (selectsPod(s, pod)) found.add(s);
  }
  return [...found];
}
