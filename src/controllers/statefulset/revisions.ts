/** getStatefulSetRevisions and truncateHistory (stateful_set_control.go). */
import type { RestClient } from '../../client/rest.js';
import { createControllerRevision, deleteControllerRevision, renumberControllerRevision } from '../history/client.js';
import { equalRevision, findEqualRevisions, newControllerRevision, nextRevision, revisionsToPrune, sortRevisions, templatePatch, type RevisionObject } from '../history/revision.js';
import type { StatefulSetObject } from './identity.js';

export interface SetRevisions {
  current: RevisionObject;
  update: RevisionObject;
  collisionCount: number;
  /** Every revision of the set after this step (the update revision included). */
  all: RevisionObject[];
}

/** The update revision is the set's template: an equal revision is reused (renumbered when it is a rollback). */
export async function statefulSetRevisions(client: RestClient, set: StatefulSetObject, owned: RevisionObject[]): Promise<SetRevisions> {
  const revisions = sortRevisions(owned);
  let collisionCount = set.status?.collisionCount ?? 0;
  const candidate = newControllerRevision({
    parent: set,
    templateLabels: set.spec?.template?.metadata?.labels,
    data: templatePatch(set.spec?.template),
    revision: nextRevision(revisions),
    collisionCount,
    annotations: set.metadata.annotations,
  });
  const equal = findEqualRevisions(revisions, candidate);
  let update: RevisionObject;
  const last = revisions[revisions.length - 1];
  if (equal.length && last && equalRevision(last, equal[equal.length - 1]!)) update = last;
  else if (equal.length) update = await renumberControllerRevision(client, equal[equal.length - 1]!, candidate.revision!);
  else {
    const created = await createControllerRevision(client, { parent: set, templateLabels: set.spec?.template?.metadata?.labels, data: candidate.data, revision: candidate.revision!, collisionCount, annotations: set.metadata.annotations });
    update = created.revision;
    collisionCount = created.collisionCount;
  }
  const all = [...revisions.filter((r) => r.metadata.name !== update.metadata.name), update];
  const current = all.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
  return { current, update, collisionCount, all };
}

/** Deletes the oldest revisions beyond revisionHistoryLimit that no pod (nor current/update) uses. */
export async function truncateHistory(client: RestClient, set: StatefulSetObject, revs: SetRevisions, podRevisions: Iterable<string>): Promise<void> {
  const inUse = new Set([...podRevisions, revs.current.metadata.name!, revs.update.metadata.name!]);
  for (const r of revisionsToPrune(revs.all, inUse, set.spec?.revisionHistoryLimit ?? 10)) await deleteControllerRevision(client, r);
}
