/** One Deployment sync (sync.go, rolling.go, recreate.go): the I/O around the pure arithmetic. */
import type { DeploymentStatus } from 'kubernetes-types/apps/v1.js';
import { findResource } from '../../api/resources.js';
import { isStatusError } from '../../api/status.js';
import type { ReconcileResult } from '../../client/controller.js';
import type { EventRecorder } from '../../client/events.js';
import type { RestClient } from '../../client/rest.js';
import type { Clock } from '../../util/clock.js';
import { newControllerRef, type PodObject } from '../common/pods.js';
import type { ReplicaSetObject } from '../replicaset/controller.js';
import type { DeploymentObject } from './controller.js';
import { calculateStatus, deploymentComplete, getCondition, hasProgressDeadline, newCondition, reasons, rolloutStatus, sameDeploymentStatus, setCondition, stuckRequeueMs } from './progress.js';
import { newReplicaSetTarget, oldReplicaSetSteps, proportionalScale } from './rolling.js';
import {
  computeHash, equalIgnoreHash, findNewReplicaSet, maxRevision, maxSurge, newRSNewReplicas, podTemplateHashLabel, replicasAnnotationsNeedUpdate,
  replicasOf, revisionAnnotation, revisionOf, setNewReplicaSetAnnotations, setReplicasAnnotations, statusCount,
} from './util.js';
import { clone } from '../../api/types.js';

const deployments = findResource('apps', 'v1', 'deployments')!;
const replicasets = findResource('apps', 'v1', 'replicasets')!;

export interface DeploymentSyncOptions {
  client: RestClient;
  recorder: EventRecorder;
  clock: Clock;
  deployment: DeploymentObject;
}

export class DeploymentSync {
  private d: DeploymentObject;
  private readonly client: RestClient;

  constructor(private readonly opts: DeploymentSyncOptions) {
    this.d = opts.deployment;
    this.client = opts.client;
  }

  private now(): number {
    return this.opts.clock.now();
  }

  /** Writes a status (the deployment's copy follows what was written). */
  async writeStatus(status: DeploymentStatus): Promise<void> {
    const written = await this.client.updateStatus<DeploymentObject>(deployments, { ...this.d, status });
    this.d = { ...this.d, metadata: written.metadata, status };
  }

  /**
   * Mirrors the new ReplicaSet's revision on the Deployment (SetDeploymentRevision). Written through
   * /status as kube does, so the annotation does not bump the Deployment's generation.
   */
  private async setDeploymentRevision(revision: string): Promise<void> {
    if (this.d.metadata.annotations?.[revisionAnnotation] === revision) return;
    const next = { ...this.d, metadata: { ...this.d.metadata, annotations: { ...this.d.metadata.annotations, [revisionAnnotation]: revision } } };
    const written = await this.client.updateStatus<DeploymentObject>(deployments, next);
    this.d = { ...this.d, metadata: written.metadata };
  }

  private async scaleReplicaSet(rs: ReplicaSetObject, replicas: number, operation?: 'up' | 'down'): Promise<ReplicaSetObject> {
    const d = this.d;
    const sizeChange = replicasOf(rs) !== replicas;
    if (!sizeChange && !replicasAnnotationsNeedUpdate(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) return rs;
    const old = replicasOf(rs);
    const copy = clone(rs);
    copy.spec = { ...copy.spec!, replicas };
    setReplicasAnnotations(copy, replicasOf(d), replicasOf(d) + maxSurge(d));
    const written = await this.client.update<ReplicaSetObject>(replicasets, copy);
    if (sizeChange) {
      const op = operation ?? (old < replicas ? 'up' : 'down');
      this.opts.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${rs.metadata.name} from ${old} to ${replicas}`);
    }
    return written;
  }

  /** getAllReplicaSetsAndSyncRevision + getNewReplicaSet. */
  private async replicaSetsAndSyncRevision(rsList: ReplicaSetObject[], createIfMissing: boolean): Promise<{ newRS?: ReplicaSetObject; oldRSs: ReplicaSetObject[] }> {
    const d = this.d;
    const existing = findNewReplicaSet(d, rsList);
    const oldRSs = rsList.filter((rs) => rs !== existing);
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) {
      let rs = clone(existing);
      const annotationsChanged = setNewReplicaSetAnnotations(d, rs, newRevision, true);
      const minReadyChanged = (rs.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0);
      if (minReadyChanged) rs.spec = { ...rs.spec!, minReadySeconds: d.spec?.minReadySeconds };
      if (annotationsChanged || minReadyChanged) rs = await this.client.update<ReplicaSetObject>(replicasets, rs);
      await this.setDeploymentRevision(rs.metadata.annotations?.[revisionAnnotation] ?? String(newRevision));
      if (hasProgressDeadline(d) && !getCondition(this.d.status, 'Progressing')) {
        const status = clone(this.d.status ?? {});
        setCondition(status, newCondition('Progressing', 'True', reasons.foundNewRS, `Found new replica set "${rs.metadata.name}"`, this.now()));
        await this.writeStatus(status);
      }
      return { newRS: rs, oldRSs };
    }
    if (!createIfMissing) return { oldRSs };
    const template = clone(d.spec!.template);
    const hash = computeHash(d.spec!.template, d.status?.collisionCount);
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [podTemplateHashLabel]: hash } };
    const selector = clone(d.spec!.selector);
    selector.matchLabels = { ...selector.matchLabels, [podTemplateHashLabel]: hash };
    const fresh: ReplicaSetObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: `${d.metadata.name}-${hash}`, namespace: d.metadata.namespace, labels: { ...template.metadata.labels }, ownerReferences: [newControllerRef(d)] },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds, selector, template },
    };
    fresh.spec!.replicas = newRSNewReplicas(d, [...oldRSs, fresh], fresh);
    setNewReplicaSetAnnotations(d, fresh, newRevision, false);
    let created: ReplicaSetObject;
    let alreadyExists = false;
    try {
      created = await this.client.create<ReplicaSetObject>(replicasets, fresh);
    } catch (err) {
      if (!isStatusError(err, 'AlreadyExists')) {
        if (hasProgressDeadline(d)) {
          const status = clone(d.status ?? {});
          setCondition(status, newCondition('Progressing', 'False', 'ReplicaSetCreateError', `Failed to create new replica set "${fresh.metadata.name}": ${(err as Error).message}`, this.now()));
          await this.writeStatus(status).catch(() => undefined);
        }
        throw err;
      }
      const current = await this.client.get<ReplicaSetObject>(replicasets, { namespace: d.metadata.namespace, name: fresh.metadata.name! });
      const ours = current.metadata.ownerReferences?.some((r) => r.controller && r.uid === d.metadata.uid);
      if (!ours || !equalIgnoreHash(current.spec?.template, d.spec?.template)) {
        // A hash collision: bump collisionCount so the next attempt yields another name.
        await this.writeStatus({ ...d.status, collisionCount: (d.status?.collisionCount ?? 0) + 1 });
        throw new Error(`hash collision for ReplicaSet "${fresh.metadata.name}"`);
      }
      created = current;
      alreadyExists = true;
    }
    if (!alreadyExists && replicasOf(created) > 0) {
      this.opts.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${replicasOf(created)}`);
    }
    await this.setDeploymentRevision(String(newRevision));
    if (!alreadyExists && hasProgressDeadline(d)) {
      const status = clone(this.d.status ?? {});
      setCondition(status, newCondition('Progressing', 'True', reasons.newReplicaSet, `Created new replica set "${created.metadata.name}"`, this.now()));
      await this.writeStatus(status);
    }
    return { newRS: created, oldRSs };
  }

  async syncStatusOnly(rsList: ReplicaSetObject[]): Promise<void> {
    const { newRS, oldRSs } = await this.replicaSetsAndSyncRevision(rsList, false);
    await this.syncDeploymentStatus([...oldRSs, ...(newRS ? [newRS] : [])], newRS);
  }

  private async syncDeploymentStatus(all: ReplicaSetObject[], newRS: ReplicaSetObject | undefined): Promise<void> {
    const status = calculateStatus(this.d, all, newRS, this.now());
    if (!sameDeploymentStatus(this.d.status, status)) await this.writeStatus(status);
  }

  /** sync(): scaling events and paused Deployments. */
  async sync(rsList: ReplicaSetObject[]): Promise<void> {
    const found = await this.replicaSetsAndSyncRevision(rsList, false);
    let { newRS } = found;
    const oldRSs = [...found.oldRSs];
    const steps = proportionalScale(this.d, newRS, oldRSs);
    const op = steps.length > 1 ? (steps.reduce((n, s) => n + s.replicas - replicasOf(s.rs), 0) > 0 ? 'up' : 'down') : undefined;
    for (const step of steps) {
      const written = await this.scaleReplicaSet(step.rs, step.replicas, op);
      if (step.rs === newRS) newRS = written;
      else oldRSs[oldRSs.indexOf(step.rs)] = written;
    }
    if (this.d.spec?.paused) await this.cleanup(oldRSs);
    await this.syncDeploymentStatus([...oldRSs, ...(newRS ? [newRS] : [])], newRS);
  }

  async rolloutRolling(rsList: ReplicaSetObject[]): Promise<void | ReconcileResult> {
    const { newRS, oldRSs } = await this.replicaSetsAndSyncRevision(rsList, true);
    const all = [...oldRSs, newRS!];
    const target = newReplicaSetTarget(this.d, all, newRS!);
    if (target !== undefined) {
      all[all.length - 1] = await this.scaleReplicaSet(newRS!, target);
      return this.syncRolloutStatus(all, all[all.length - 1]);
    }
    const steps = oldReplicaSetSteps(this.d, oldRSs, newRS!);
    if (steps.length) {
      for (const s of steps) all[all.indexOf(s.rs)] = await this.scaleReplicaSet(s.rs, s.replicas);
      return this.syncRolloutStatus(all, newRS);
    }
    if (deploymentComplete(this.d, this.d.status ?? {})) await this.cleanup(oldRSs);
    return this.syncRolloutStatus(all, newRS);
  }

  async rolloutRecreate(rsList: ReplicaSetObject[], podMap: Map<string, PodObject[]>): Promise<void | ReconcileResult> {
    let { newRS, oldRSs } = await this.replicaSetsAndSyncRevision(rsList, false);
    let scaledDown = false;
    for (let i = 0; i < oldRSs.length; i++) {
      if (replicasOf(oldRSs[i]) === 0) continue;
      oldRSs[i] = await this.scaleReplicaSet(oldRSs[i], 0);
      scaledDown = true;
    }
    const all = () => [...oldRSs, ...(newRS ? [newRS] : [])];
    if (scaledDown) return this.syncRolloutStatus(all(), newRS);
    const oldPodsRunning =
      statusCount(oldRSs, 'replicas') > 0 ||
      [...podMap].some(([uid, list]) => uid !== newRS?.metadata.uid && list.some((p) => p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded'));
    if (oldPodsRunning) return this.syncRolloutStatus(all(), newRS);
    if (!newRS) ({ newRS, oldRSs } = await this.replicaSetsAndSyncRevision(rsList, true));
    if (replicasOf(newRS!) !== replicasOf(this.d)) newRS = await this.scaleReplicaSet(newRS!, replicasOf(this.d));
    if (deploymentComplete(this.d, this.d.status ?? {})) await this.cleanup(oldRSs);
    return this.syncRolloutStatus(all(), newRS);
  }

  private async syncRolloutStatus(all: ReplicaSetObject[], newRS: ReplicaSetObject | undefined): Promise<void | ReconcileResult> {
    const status = rolloutStatus(this.d, all, newRS, this.now());
    if (!sameDeploymentStatus(this.d.status, status)) {
      await this.writeStatus(status);
      return;
    }
    const after = stuckRequeueMs(this.d, status, this.now());
    return after === undefined ? undefined : { requeueAfterMs: after };
  }

  /** cleanupDeployment: delete the oldest unused ReplicaSets beyond revisionHistoryLimit. */
  private async cleanup(oldRSs: ReplicaSetObject[]): Promise<void> {
    const limit = this.d.spec?.revisionHistoryLimit;
    if (limit === undefined || limit === null) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp).sort((a, b) => revisionOf(a) - revisionOf(b) || (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
    const diff = cleanable.length - limit;
    for (let i = 0; i < diff; i++) {
      const rs = cleanable[i];
      if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0 || (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        await this.client.delete(replicasets, { namespace: rs.metadata.namespace, name: rs.metadata.name! });
      } catch (err) {
        if (!isStatusError(err, 'NotFound')) throw err;
      }
    }
  }
}
