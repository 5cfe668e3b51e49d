/** The I/O half of pkg/controller/history: create (with hash-collision handling) and renumber revisions. */
import { findResource } from '../../api/resources.js';
import { isStatusError } from '../../api/status.js';
import type { RestClient } from '../../client/rest.js';
import { equalRevision, newControllerRevision, type NewRevisionOptions, type RevisionObject } from './revision.js';
import { clone } from '../../api/types.js';

export const controllerRevisions = findResource('apps', 'v1', 'controllerrevisions')!;

/**
 * CreateControllerRevision: a name already taken by different data is a hash collision; the collision
 * count goes up and the revision is named again. Returns the stored revision and the collision count used.
 */
export async function createControllerRevision(client: RestClient, o: NewRevisionOptions): Promise<{ revision: RevisionObject; collisionCount: number }> {
  let collisionCount = o.collisionCount ?? 0;
  for (let attempt = 0; ; attempt++) {
    const rev = newControllerRevision({ ...o, collisionCount });
    try {
      return { revision: await client.create<RevisionObject>(controllerRevisions, rev), collisionCount };
    } catch (err) {
      if (!isStatusError(err, 'AlreadyExists') || attempt >= 5) throw err;
      const existing = await client.get<RevisionObject>(controllerRevisions, { namespace: rev.metadata.namespace, name: rev.metadata.name! });
      const sameOwner = existing.metadata.ownerReferences?.some((r) => r.controller && r.uid === o.parent.metadata.uid);
      if (sameOwner && equalRevision(existing, rev)) return { revision: existing, collisionCount };
      collisionCount++;
    }
  }
}

/** UpdateControllerRevision: give an existing revision a new revision number (a rollback to it). */
export async function renumberControllerRevision(client: RestClient, rev: RevisionObject, revision: number): Promise<RevisionObject> {
  if (rev.revision === revision) return rev;
  return client.update<RevisionObject>(controllerRevisions, { ...clone(rev), revision });
}

export async function deleteControllerRevision(client: RestClient, rev: RevisionObject): Promise<void> {
  try {
    await client.delete(controllerRevisions, { namespace: rev.metadata.namespace, name: rev.metadata.name! });
  } catch (err) {
    if (!isStatusError(err, 'NotFound')) throw err;
  }
}
