/**
 * k3s' local-path provisioner (rancher.io/local-path): for a claim handed to it (the PV controller's
 * volume.kubernetes.io/storage-provisioner annotation, after the selected-node one for
 * WaitForFirstConsumer) it makes `<dir>/pvc-<uid>_<namespace>_<name>` and a PersistentVolume pre-bound to
 * the claim (hostPath, nodeAffinity to the selected node, the class's reclaim policy). A Released volume
 * of its own with policy Delete has its directory removed and is deleted.
 * Runs where the data dir is (all of skiff's nodes share the machine's filesystem).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { findResource } from '../../api/resources.js';
import { isStatusError } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import { Controller } from '../../client/controller.js';
import type { EventRecorder } from '../../client/events.js';
import type { SharedInformer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { RateLimitingQueue } from '../../client/workqueue.js';
import { annProvisionedBy, annSelectedNode, annStorageProvisioner, claimClass } from '../persistentvolume/binding.js';

export const localPathProvisioner = 'rancher.io/local-path';
const pvcs = findResource('', 'v1', 'persistentvolumeclaims')!;
const pvs = findResource('', 'v1', 'persistentvolumes')!;
const classes = findResource('storage.k8s.io', 'v1', 'storageclasses')!;

export interface LocalPathProvisionerOptions {
  factory: InformerFactory;
  recorder: EventRecorder;
  /** Parent of the per-claim directories. */
  dir: string;
  log?: (message: string) => void;
}

/** The PV the provisioner makes for a claim (pure). */
export function provisionedVolume(claim: PersistentVolumeClaim, sc: StorageClass, dir: string): PersistentVolume & KubeObject {
  const node = claim.metadata?.annotations?.[annSelectedNode];
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: `pvc-${claim.metadata!.uid}`, annotations: { [annProvisionedBy]: localPathProvisioner, 'local.path.provisioner/selected-node': node ?? '' }},
    spec: {
      capacity: { storage: String(claim.spec?.resources?.requests?.storage ?? '') },
      accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
      storageClassName: sc.metadata!.name!,
      volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
      hostPath: { path: dir, type: 'DirectoryOrCreate' },
      claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata!.namespace, name: claim.metadata!.name, uid: claim.metadata!.uid, resourceVersion: claim.metadata!.resourceVersion },
      ...(node ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } } } : {}),
    },
  };
}

export class LocalPathProvisioner {
  private readonly queue = new RateLimitingQueue<string>();
  private readonly controller: Controller;
  private readonly claims: SharedInformer<PersistentVolumeClaim & KubeObject>;
  private readonly volumes: SharedInformer<PersistentVolume & KubeObject>;
  private readonly classes: SharedInformer<StorageClass & KubeObject>;

  constructor(private readonly opts: LocalPathProvisionerOptions) {
    this.controller = new Controller({ name: 'local-path-provisioner', queue: this.queue, workers: 1, log: opts.log, reconcile: (k) => this.reconcile(k) });
    this.claims = opts.factory.informerFor(pvcs);
    this.volumes = opts.factory.informerFor(pvs);
    this.classes = opts.factory.informerFor(classes);
    const claimKey = (c: KubeObject) => this.queue.add(`claim:${c.metadata.namespace}/${c.metadata.name}`);
    this.claims.addEventHandler({ onAdd: claimKey, onUpdate: (_o, n) => claimKey(n) });
    const volumeKey = (v: KubeObject) => this.queue.add(`volume:${v.metadata.name}`);
    this.volumes.addEventHandler({ onAdd: volumeKey, onUpdate: (_o, n) => volumeKey(n) });
  }

  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.opts.factory.waitForCacheSync(signal))) return;
    await this.controller.run(signal);
  }

  async reconcile(key: string): Promise<void> {
    if (key.startsWith('claim:')) return this.provision(key.slice(6));
    return this.reclaim(key.slice(7));
  }

  private async provision(key: string): Promise<void> {
    const claim = this.claims.store.get(key);
    if (!claim || claim.metadata.deletionTimestamp || claim.spec?.volumeName) return;
    if (claim.metadata.annotations?.[annStorageProvisioner] !== localPathProvisioner) return;
    const sc = this.classes.store.get(claimClass(claim));
    if (!sc || sc.provisioner !== localPathProvisioner) return;
    if (sc.volumeBindingMode === 'WaitForFirstConsumer' && !claim.metadata.annotations?.[annSelectedNode]) return;
    const name = `pvc-${claim.metadata.uid}`;
    if (this.volumes.store.get(name)) return;
    const dir = path.join(this.opts.dir, `${name}_${claim.metadata.namespace}_${claim.metadata.name}`);
    this.opts.recorder.event(claim, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${key}"`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o777 });
    fs.chmodSync(dir, 0o777);
    try {
      await this.opts.factory.client.create(pvs, provisionedVolume(claim, sc, dir));
    } catch (err) {
      if (!isStatusError(err, 'AlreadyExists')) throw err;
    }
    this.opts.recorder.event(claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${name}`);
  }

  private async reclaim(name: string): Promise<void> {
    const pv = this.volumes.store.get(name);
    if (!pv || pv.metadata.annotations?.[annProvisionedBy] !== localPathProvisioner) return;
    const client = this.opts.factory.client;
    if (pv.metadata.deletionTimestamp) {
      // pv-protection: the finalizer goes once the volume is no longer bound (or is Released/Available)
      if (pv.status?.phase !== 'Bound' && pv.metadata.finalizers?.includes('kubernetes.io/pv-protection'))
        await client.patch(pvs, { name, type: 'merge', patch: { metadata: { finalizers: pv.metadata.finalizers.filter((f) => f !== 'kubernetes.io/pv-protection') } } });
      return;
    }
    if (pv.status?.phase !== 'Released' || pv.spec?.persistentVolumeReclaimPolicy !== 'Delete') return;
    const dir = pv.spec?.hostPath?.path;
    if (dir && path.resolve(dir).startsWith(path.resolve(this.opts.dir) + path.sep)) fs.rmSync(dir, { recursive: true, force: true });
    try {
      await client.delete(pvs, { name });
    } catch (err) {
      if (!isStatusError(err, 'NotFound')) throw err;
    }
  }
}
