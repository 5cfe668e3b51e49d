/**
 * The PersistentVolume controller (persistentvolume-binder): binds Pending claims to matching volumes
 * (claimRef on the volume, volumeName on the claim, pv.kubernetes.io/bind-completed, both phases Bound),
 * hands claims without a volume to their class's provisioner (volume.kubernetes.io/storage-provisioner),
 * and marks volumes whose claim is gone Released. For WaitForFirstConsumer classes it sets the claim's
 * volume.kubernetes.io/selected-node once a pod using the claim is on a node (the scheduler's volume
 * binding step, done here after the pod is bound).
 */
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { findResource } from '../../api/resources.js';
import { isStatusError } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import { Controller } from '../../client/controller.js';
import type { EventRecorder } from '../../client/events.js';
import { deletedObject, type SharedInformer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { RateLimitingQueue } from '../../client/workqueue.js';
import {
  annBetaStorageProvisioner,
  annBindCompleted,
  annBoundByController,
  annSelectedNode,
  annStorageProvisioner,
  claimClass,
  findMatchingVolume,
  isVolumeBoundToClaim,
} from './binding.js';

const pvcs = findResource('', 'v1', 'persistentvolumeclaims')!;
const pvs = findResource('', 'v1', 'persistentvolumes')!;
const pods = findResource('', 'v1', 'pods')!;
const classes = findResource('storage.k8s.io', 'v1', 'storageclasses')!;
type PVC = PersistentVolumeClaim & KubeObject;
type PV = PersistentVolume & KubeObject;

export interface PersistentVolumeControllerOptions {
  factory: InformerFactory;
  recorder: EventRecorder;
  log?: (message: string) => void;
}

export class PersistentVolumeController {
  private readonly claimQueue = new RateLimitingQueue<string>();
  private readonly volumeQueue = new RateLimitingQueue<string>();
  private readonly claimController: Controller;
  private readonly volumeController: Controller;
  private readonly claims: SharedInformer<PVC>;
  private readonly volumes: SharedInformer<PV>;
  private readonly pods: SharedInformer<Pod & KubeObject>;
  private readonly classes: SharedInformer<StorageClass & KubeObject>;

  constructor(private readonly opts: PersistentVolumeControllerOptions) {
    this.claimController = new Controller({ name: 'persistentvolume-binder-claims', queue: this.claimQueue, workers: 1, log: opts.log, reconcile: (k) => this.syncClaim(k) });
    this.volumeController = new Controller({ name: 'persistentvolume-binder-volumes', queue: this.volumeQueue, workers: 1, log: opts.log, reconcile: (k) => this.syncVolume(k) });
    this.claims = opts.factory.informerFor(pvcs);
    this.volumes = opts.factory.informerFor(pvs);
    this.pods = opts.factory.informerFor(pods);
    this.classes = opts.factory.informerFor(classes);
    const claimKey = (c: KubeObject) => this.claimQueue.add(`${c.metadata.namespace}/${c.metadata.name}`);
    this.claims.addEventHandler({ onAdd: claimKey, onUpdate: (_o, n) => claimKey(n), onDelete: (x) => this.claimDeleted(deletedObject(x)) });
    const volumeChanged = (v: PV) => {
      this.volumeQueue.add(v.metadata.name!);
      const ref = v.spec?.claimRef;
      if (ref?.namespace && ref.name) this.claimQueue.add(`${ref.namespace}/${ref.name}`);
    };
    this.volumes.addEventHandler({ onAdd: volumeChanged, onUpdate: (_o, n) => volumeChanged(n) });
    const podChanged = (p: Pod) => {
      if (!p.spec?.nodeName) return;
      for (const v of p.spec.volumes ?? []) if (v.persistentVolumeClaim) this.claimQueue.add(`${p.metadata!.namespace}/${v.persistentVolumeClaim.claimName}`);
    };
    this.pods.addEventHandler({ onAdd: podChanged, onUpdate: (_o, n) => podChanged(n) });
    // a class created after its claims: look at every pending claim again
    this.classes.addEventHandler({ onAdd: () => this.claims.store.list().forEach((c) => c.status?.phase !== 'Bound' && claimKey(c)) });
  }

  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.opts.factory.waitForCacheSync(signal))) return;
    await Promise.all([this.claimController.run(signal), this.volumeController.run(signal)]);
  }

  private claimDeleted(c: PVC): void {
    for (const v of this.volumes.store.list()) if (v.spec?.claimRef?.uid === c.metadata.uid) this.volumeQueue.add(v.metadata.name!);
  }

  async syncClaim(key: string): Promise<void> {
    const claim = this.claims.store.get(key);
    if (!claim || claim.metadata.deletionTimestamp) return;
    const client = this.opts.factory.client;
    const ns = claim.metadata.namespace!;
    const name = claim.metadata.name!;
    const volumeName = claim.spec?.volumeName;
    if (volumeName) {
      const pv = this.volumes.store.get(volumeName);
      if (!pv) {
        if (claim.status?.phase === 'Bound') {
          await client.patch(pvcs, { namespace: ns, name, subresource: 'status', type: 'merge', patch: { status: { phase: 'Lost' } } });
          this.opts.recorder.event(claim, 'Warning', 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
        }
        return;
      }
      if (!pv.spec?.claimRef) {
        await this.bindVolume(pv, claim); // claim pre-bound to the volume by the user
        return;
      }
      if (!isVolumeBoundToClaim(pv, claim)) return; // the volume went to another claim: stays Pending
      if (pv.status?.phase !== 'Bound') await client.patch(pvs, { name: pv.metadata.name!, subresource: 'status', type: 'merge', patch: { status: { phase: 'Bound' } } });
      await this.completeClaim(claim, pv, false);
      return;
    }
    const pv = findMatchingVolume(claim, this.volumes.store.list()) as PV | undefined;
    if (pv) {
      if (!pv.spec?.claimRef) await this.bindVolume(pv, claim);
      await this.completeClaim(claim, pv, true);
      return;
    }
    const cls = claimClass(claim);
    const sc = cls ? this.classes.store.get(cls) : undefined;
    if (!sc) {
      const why = cls ? `storageclass.storage.k8s.io "${cls}" not found` : 'no persistent volumes available for this claim and no storage class is set';
      this.opts.recorder.event(claim, 'Warning', cls ? 'ProvisioningFailed' : 'FailedBinding', why);
      return;
    }
    const annotations = claim.metadata.annotations ?? {};
    if (sc.volumeBindingMode === 'WaitForFirstConsumer' && !annotations[annSelectedNode]) {
      const user = this.pods.store.list().find((p) => p.metadata.namespace === ns && p.spec?.nodeName && !p.metadata.deletionTimestamp && (p.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === name));
      if (!user) {
        this.opts.recorder.event(claim, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
        return;
      }
      await client.patch(pvcs, { namespace: ns, name, type: 'merge', patch: { metadata: { annotations: { [annSelectedNode]: user.spec!.nodeName! } } } });
      return;
    }
    if (annotations[annStorageProvisioner] !== sc.provisioner) {
      await client.patch(pvcs, { namespace: ns, name, type: 'merge', patch: { metadata: { annotations: { [annStorageProvisioner]: sc.provisioner, [annBetaStorageProvisioner]: sc.provisioner } } } });
      this.opts.recorder.event(claim, 'Normal', 'ExternalProvisioning', `Waiting for a volume to be created either by the external provisioner '${sc.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`);
    }
  }

  /** The volume side of a bind: claimRef and phase Bound. */
  private async bindVolume(pv: PV, claim: PVC): Promise<void> {
    const client = this.opts.factory.client;
    const claimRef = { kind: 'PersistentVolumeClaim', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid, apiVersion: 'v1', resourceVersion: claim.metadata.resourceVersion };
    await client.patch(pvs, { name: pv.metadata.name!, type: 'merge', patch: { metadata: { annotations: { [annBoundByController]: 'yes' } }, spec: { claimRef } } });
    await client.patch(pvs, { name: pv.metadata.name!, subresource: 'status', type: 'merge', patch: { status: { phase: 'Bound' } } });
  }

  /** The claim side: volumeName, bind-completed, status Bound with the volume's capacity and modes. */
  private async completeClaim(claim: PVC, pv: PV, byController: boolean): Promise<void> {
    const client = this.opts.factory.client;
    const ns = claim.metadata.namespace!;
    const name = claim.metadata.name!;
    const ann = claim.metadata.annotations ?? {};
    if (claim.spec?.volumeName !== pv.metadata.name || ann[annBindCompleted] !== 'yes') {
      const annotations: Record<string, string> = { [annBindCompleted]: 'yes' };
      if (byController) annotations[annBoundByController] = 'yes';
      await client.patch(pvcs, { namespace: ns, name, type: 'merge', patch: { metadata: { annotations }, spec: { volumeName: pv.metadata.name } } });
    }
    if (claim.status?.phase !== 'Bound') {
      await client.patch(pvcs, {
        namespace: ns,
        name,
        subresource: 'status',
        type: 'merge',
        patch: { status: { phase: 'Bound', accessModes: pv.spec?.accessModes ?? [], capacity: pv.spec?.capacity ?? {} } },
      });
    }
  }

  async syncVolume(name: string): Promise<void> {
    const pv = this.volumes.store.get(name);
    if (!pv || pv.metadata.deletionTimestamp) return;
    const client = this.opts.factory.client;
    const setPhase = (phase: string) => client.patch(pvs, { name, subresource: 'status', type: 'merge', patch: { status: { phase } } }).catch((err: unknown) => {
      if (!isStatusError(err, 'NotFound')) throw err;
    });
    const ref = pv.spec?.claimRef;
    if (!ref) {
      if (pv.status?.phase !== 'Available') await setPhase('Available');
      return;
    }
    const claim = this.claims.store.get(`${ref.namespace}/${ref.name}`);
    if (ref.uid && (!claim || claim.metadata.uid !== ref.uid)) {
      // the claim is gone: Released; the reclaim policy is the provisioner's (Delete) or the admin's (Retain)
      if (pv.status?.phase !== 'Released' && pv.status?.phase !== 'Failed') await setPhase('Released');
      return;
    }
    if (!ref.uid) {
      if (pv.status?.phase !== 'Available') await setPhase('Available'); // pre-bound, waiting for its claim
      return;
    }
    if (claim && claim.spec?.volumeName === name && pv.status?.phase !== 'Bound') await setPhase('Bound');
  }
}
