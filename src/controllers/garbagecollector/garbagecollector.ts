import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { findKind, resources, type ResourceInfo } from '../../api/resources.js';
import { isStatusError } from '../../api/status.js';
import { parseApiVersion, type KubeObject } from '../../api/types.js';
import { Controller } from '../../client/controller.js';
import { deletedObject, type SharedInformer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import type { RestClient } from '../../client/rest.js';
import { indexByOwnerUid } from '../../client/store.js';
import { RateLimitingQueue } from '../../client/workqueue.js';
import type { Clock } from '../../util/clock.js';
import {
  finalizersWithout,
  isDeletingDependents,
  ownerReferencesUnblocked,
  ownerReferencesWithout,
  planDependent,
  planOwnerDeletion,
  type OwnerState,
} from './plan.js';

const uidIndex = 'gc-uid';
const ownerUidIndex = 'gc-owner-uid';

/** Resources the collector watches: every listable, watchable, deletable kind except Events (never owned, high churn). */
export function collectableResources(): ResourceInfo[] {
  return resources.filter((r) => ['list', 'watch', 'delete', 'patch'].every((v) => r.verbs.includes(v)) && r.resource !== 'events');
}

/** True when an update changes the object's owners, finalizers or deletion state. */
export function graphChanged(old: KubeObject, o: KubeObject): boolean {
  const a = old.metadata;
  const b = o.metadata;
  return a.deletionTimestamp !== b.deletionTimestamp || JSON.stringify(a.ownerReferences ?? []) !== JSON.stringify(b.ownerReferences ?? []) || JSON.stringify(a.finalizers ?? []) !== JSON.stringify(b.finalizers ?? []);
}

export interface GarbageCollectorOptions {
  factory: InformerFactory;
  resources?: ResourceInfo[];
  workers?: number;
  clock?: Clock;
  log?: (message: string) => void;
}

interface Found {
  info: ResourceInfo;
  obj: KubeObject;
}

/**
 * Owner-reference garbage collection (kube-controller-manager's garbagecollector): deletes
 * dependents whose owners are all gone, and completes foreground and orphan deletions.
 * Work items are object uids; the informer caches are the dependency graph.
 */
export class GarbageCollector {
  private readonly informers: Array<{ info: ResourceInfo; informer: SharedInformer }> = [];
  private readonly queue: RateLimitingQueue<string>;
  private readonly controller: Controller;
  private readonly client: RestClient;
  private readonly log: (message: string) => void;

  constructor(private readonly opts: GarbageCollectorOptions) {
    this.client = opts.factory.client;
    this.log = opts.log ?? ((m) => console.error(m));
    this.queue = new RateLimitingQueue<string>({ clock: opts.clock });
    this.controller = new Controller({ name: 'garbagecollector', queue: this.queue, workers: opts.workers ?? 2, log: this.log, reconcile: (uid) => this.reconcile(uid) });
    for (const info of opts.resources ?? collectableResources()) {
      const informer = opts.factory.informerFor(info);
      informer.addIndexers({ [uidIndex]: (o) => (o.metadata.uid ? [o.metadata.uid] : []), [ownerUidIndex]: indexByOwnerUid });
      informer.addEventHandler({
        onAdd: (o) => this.observe(o),
        onUpdate: (old, o) => {
          // only what the dependency graph holds matters (the graph builder's referencesDiffs): a status
          // write to an owned object is no work for the collector
          if (!graphChanged(old, o)) return;
          this.observe(o);
          this.enqueueOwners(old);
        },
        onDelete: (d) => {
          const o = deletedObject(d);
          this.enqueueOwners(o);
          for (const dep of this.dependentsOf(o.metadata.uid ?? '')) this.queue.add(dep.obj.metadata.uid!);
        },
      });
      this.informers.push({ info, informer });
    }
  }

  /** Starts the informers, waits for their caches, then collects until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    this.opts.factory.start(signal);
    if (!(await this.opts.factory.waitForCacheSync(signal))) return;
    await this.controller.run(signal);
  }

  private observe(o: KubeObject): void {
    const uid = o.metadata.uid;
    if (uid && (o.metadata.ownerReferences?.length || o.metadata.deletionTimestamp)) this.queue.add(uid);
    this.enqueueOwners(o);
  }

  /** Owners waiting in foreground deletion must look again whenever a dependent changes or goes. */
  private enqueueOwners(o: KubeObject): void {
    for (const ref of o.metadata.ownerReferences ?? []) {
      const owner = this.findByUid(ref.uid);
      if (owner && owner.obj.metadata.deletionTimestamp) this.queue.add(ref.uid);
    }
  }

  private findByUid(uid: string): Found | undefined {
    for (const { info, informer } of this.informers) {
      const obj = informer.store.byIndex(uidIndex, uid)[0];
      if (obj) return { info, obj };
    }
    return undefined;
  }

  private dependentsOf(uid: string): Found[] {
    const out: Found[] = [];
    for (const { info, informer } of this.informers) for (const obj of informer.store.byIndex(ownerUidIndex, uid)) out.push({ info, obj });
    return out;
  }

  async reconcile(uid: string): Promise<void> {
    const found = this.findByUid(uid);
    if (!found) return; // gone: its dependents were queued when its deletion was observed
    if (found.obj.metadata.deletionTimestamp) return this.processDeletingOwner(found);
    if (!found.obj.metadata.ownerReferences?.length) return;
    await this.attemptToDelete(found);
  }

  private async processDeletingOwner({ info, obj }: Found): Promise<void> {
    const uid = obj.metadata.uid!;
    const deps = this.dependentsOf(uid);
    const plan = planOwnerDeletion(obj, deps.map((d) => d.obj));
    for (const dep of deps.filter((d) => plan.orphan.includes(d.obj))) {
      await this.ignoreNotFound(this.patchMeta(dep, { ownerReferences: ownerReferencesWithout(dep.obj, [uid]) }));
    }
    for (const dep of plan.attemptToDelete) this.queue.add(dep.metadata.uid!);
    if (plan.removeFinalizers.length > 0) {
      await this.ignoreNotFound(this.patchMeta({ info, obj }, { finalizers: finalizersWithout(obj, plan.removeFinalizers) }));
    }
  }

  private async attemptToDelete(cached: Found): Promise<void> {
    // Fast path: every owner solid in the cache means nothing to do, without any request.
    const cachedPlan = planDependent({ dependent: cached.obj, owners: this.ownerStatesFromCache(cached.obj), dependents: this.dependentsSummary(cached.obj) });
    if (cachedPlan.action === 'none') return;
    // Act only on the live dependent and live owners: caches may lag behind each other.
    let latest: KubeObject;
    try {
      latest = await this.client.get(cached.info, { namespace: cached.obj.metadata.namespace, name: cached.obj.metadata.name! });
    } catch (err) {
      if (isStatusError(err, 'NotFound')) return;
      throw err;
    }
    if (latest.metadata.uid !== cached.obj.metadata.uid) return;
    const dep: Found = { info: cached.info, obj: latest };
    const owners = new Map<string, OwnerState>();
    for (const ref of latest.metadata.ownerReferences ?? []) owners.set(ref.uid, await this.ownerStateLive(latest, ref));
    const plan = planDependent({ dependent: latest, owners, dependents: this.dependentsSummary(latest) });
    switch (plan.action) {
      case 'none':
        return;
      case 'removeOwnerReferences':
        await this.ignoreNotFound(this.patchMeta(dep, { ownerReferences: ownerReferencesWithout(latest, plan.uids) }));
        return;
      case 'delete':
        if (plan.unblockOwnerUids.length > 0) {
          await this.patchMeta(dep, { ownerReferences: ownerReferencesUnblocked(latest, plan.unblockOwnerUids) });
        }
        this.log(`garbagecollector: deleting ${cached.info.resource} ${latest.metadata.namespace ? latest.metadata.namespace + '/' : ''}${latest.metadata.name} (propagationPolicy=${plan.policy})`);
        await this.ignoreNotFound(
          this.client.delete(cached.info, {
            namespace: latest.metadata.namespace,
            name: latest.metadata.name!,
            propagationPolicy: plan.policy,
            preconditions: { uid: latest.metadata.uid },
          }),
        );
    }
  }

  private dependentsSummary(obj: KubeObject): { count: number; anyDeletingDependents: boolean } {
    const deps = this.dependentsOf(obj.metadata.uid ?? '');
    return { count: deps.length, anyDeletingDependents: deps.some((d) => isDeletingDependents(d.obj)) };
  }

  private ownerStatesFromCache(obj: KubeObject): Map<string, OwnerState> {
    const states = new Map<string, OwnerState>();
    for (const ref of obj.metadata.ownerReferences ?? []) {
      const owner = this.findByUid(ref.uid);
      if (owner) states.set(ref.uid, { state: 'present', deletingDependents: isDeletingDependents(owner.obj) });
      else states.set(ref.uid, this.ownerInfo(ref) ? { state: 'absent' } : { state: 'unresolvable' });
    }
    return states;
  }

  private ownerInfo(ref: OwnerReference): ResourceInfo | undefined {
    const gv = parseApiVersion(ref.apiVersion);
    return findKind({ group: gv.group, version: gv.version, kind: ref.kind });
  }

  /** The owner as the API server sees it now: a namesake with another uid counts as absent. */
  private async ownerStateLive(dependent: KubeObject, ref: OwnerReference): Promise<OwnerState> {
    const info = this.ownerInfo(ref);
    if (!info) return { state: 'unresolvable' };
    const ns = dependent.metadata.namespace;
    if (info.namespaced && !ns) return { state: 'absent' }; // a cluster-scoped dependent cannot have a namespaced owner
    try {
      const owner = await this.client.get(info, { namespace: info.namespaced ? ns : undefined, name: ref.name });
      if (owner.metadata.uid !== ref.uid) return { state: 'absent' };
      return { state: 'present', deletingDependents: isDeletingDependents(owner) };
    } catch (err) {
      if (isStatusError(err, 'NotFound')) return { state: 'absent' };
      throw err;
    }
  }

  /** A JSON merge patch of metadata, guarded by uid and resourceVersion (a conflict retries the item). */
  private patchMeta(target: Found, metadata: Record<string, unknown>): Promise<KubeObject> {
    const m = target.obj.metadata;
    return this.client.patch(target.info, {
      namespace: m.namespace,
      name: m.name!,
      type: 'merge',
      patch: { metadata: { ...metadata, uid: m.uid, resourceVersion: m.resourceVersion } },
    });
  }

  private async ignoreNotFound(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (err) {
      if (!isStatusError(err, 'NotFound')) throw err;
    }
  }
}
