/** ControllerRefManager.ClaimPods / ClaimReplicaSets (pkg/controller/controller_ref_manager.go): the writes behind claimDecision. */
import { fromLabelSelector } from '../../api/labels.js';
import { isStatusError } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import type { ResourceType, RestClient } from '../../client/rest.js';
import { claimDecision, withControllerRef, withoutOwner } from './claim.js';

type Selecting = KubeObject & { spec?: { selector?: Parameters<typeof fromLabelSelector>[0] } };

export interface ClaimObjectsOptions<T extends KubeObject> {
  client: RestClient;
  resource: ResourceType;
  owner: Selecting;
  candidates: T[];
  /** A candidate failing it is neither kept nor adopted (StatefulSet: only its members). */
  filter?(obj: T): boolean;
}

/**
 * The candidates `owner` controls after adopting matching orphans and releasing owned ones that stopped
 * matching, one write at a time. A write that lost a race (NotFound, Conflict) leaves that object out.
 */
export async function claimObjects<T extends KubeObject>(opts: ClaimObjectsOptions<T>): Promise<T[]> {
  const { client, resource, owner } = opts;
  const selector = fromLabelSelector(owner.spec?.selector);
  const owned: T[] = [];
  for (const obj of opts.candidates) {
    const decision = claimDecision(owner, obj, selector);
    const kept = opts.filter?.(obj) ?? true;
    if (decision === 'own') {
      if (kept) owned.push(obj);
    } else if ((decision === 'adopt' && kept) || decision === 'release') {
      try {
        const written = await client.update<T>(resource, (decision === 'adopt' ? withControllerRef(obj, owner) : withoutOwner(obj, owner)) as T);
        if (decision === 'adopt') owned.push(written);
      } catch (err) {
        if (!isStatusError(err, 'NotFound') && !isStatusError(err, 'Conflict')) throw err;
      }
    }
  }
  return owned;
}
