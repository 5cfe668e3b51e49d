/** constructHistory, snapshot and cleanupHistory of the DaemonSet controller (pkg/controller/daemon/update.go). */
import type { RestClient } from '../../client/rest.js';
import { createControllerRevision, deleteControllerRevision, renumberControllerRevision } from '../history/client.js';
import { controllerRevisionHashLabel, equalRevision, newControllerRevision, nextRevision, revisionsToPrune, sortRevisions, templatePatch, type RevisionObject } from '../history/revision.js';
import { computeHash } from '../deployment/util.js';
import type { DaemonSetObject } from './pods.js';

export interface DaemonSetHistory {
  current: RevisionObject;
  old: RevisionObject[];
  /** The label value pods of the current revision carry. */
  hash: string;
  collisionCount: number;
}

/** The current revision is the one whose data equals the DaemonSet's template; it gets the highest number. */
export async function constructHistory(client: RestClient, ds: DaemonSetObject, owned: RevisionObject[]): Promise<DaemonSetHistory> {
  const probe = newControllerRevision({ parent: ds, templateLabels: {}, data: templatePatch(ds.spec?.template), revision: 0, hash: () => 'probe' });
  const currents: RevisionObject[] = [];
  const old: RevisionObject[] = [];
  for (const r of sortRevisions(owned)) (equalRevision(r, probe) ? currents : old).push(r);
  const revision = nextRevision(old);
  let collisionCount = ds.status?.collisionCount ?? 0;
  let current: RevisionObject;
  if (!currents.length) {
    const created = await createControllerRevision(client, {
      parent: ds,
      templateLabels: ds.spec?.template?.metadata?.labels,
      data: probe.data,
      revision,
      collisionCount,
      hash: (count) => computeHash(ds.spec?.template, count),
      annotations: ds.metadata.annotations,
    });
    current = created.revision;
    collisionCount = created.collisionCount;
  } else {
    // dedupCurHistories: keep the newest of several equal revisions
    current = currents[currents.length - 1]!;
    for (const dup of currents.slice(0, -1)) await deleteControllerRevision(client, dup);
    if ((current.revision ?? 0) < revision) current = await renumberControllerRevision(client, current, revision);
  }
  const hash = current.metadata.labels?.[controllerRevisionHashLabel] ?? current.metadata.name!;
  return { current, old, hash, collisionCount };
}

/** cleanupHistory: old revisions no live pod uses, beyond revisionHistoryLimit, oldest first. */
export async function cleanupHistory(client: RestClient, ds: DaemonSetObject, history: DaemonSetHistory, liveHashes: Iterable<string>): Promise<void> {
  const live = new Set(liveHashes);
  const inUse = new Set(history.old.filter((r) => live.has(r.metadata.labels?.[controllerRevisionHashLabel] ?? '')).map((r) => r.metadata.name!));
  for (const r of revisionsToPrune(history.old, inUse, ds.spec?.revisionHistoryLimit ?? 10)) await deleteControllerRevision(client, r);
}
