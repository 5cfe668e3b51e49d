/**
 * Server-side Tables (meta.k8s.io/v1) for `kubectl get`, as kube-apiserver renders them: cells are
 * always built wide (priority-1 columns included) and kubectl hides those unless `-o wide`.
 */
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../types.js';
import type { TableColumnDefinition, TablePrinter } from '../table.js';
import { controllerRevisionPrinter, daemonSetPrinter, statefulSetPrinter } from './apps.js';
import { cronJobPrinter, jobPrinter } from './batch.js';
import { configMapPrinter, leasePrinter, namespacePrinter, secretPrinter, serviceAccountPrinter } from './config.js';
import { ipAddressPoolPrinter, l2AdvertisementPrinter } from './crd.js';
import { defaultPrinter } from './default.js';
import { endpointSlicePrinter, endpointsPrinter } from './endpoints.js';
import { eventPrinter } from './event.js';
import { ingressClassPrinter, ingressPrinter } from './ingress.js';
import { nodePrinter } from './node.js';
import { podPrinter } from './pod.js';
import { servicePrinter } from './service.js';
import { persistentVolumeClaimPrinter, persistentVolumePrinter, storageClassPrinter } from './storage.js';
import type { RowPrinter, TableRowCondition } from './types.js';
import { deploymentPrinter, replicaSetPrinter } from './workloads.js';

export type { RowPrinter, TableRowCondition } from './types.js';
export { crdPrinter, type PrinterColumn } from './crd.js';
export { defaultPrinter } from './default.js';
export { humanDuration, shortHumanDuration, translateTimestampSince } from './duration.js';

const printers = new Map<string, TablePrinter>([
  ['/Pod', podPrinter],
  ['/Service', servicePrinter],
  ['/Endpoints', endpointsPrinter],
  ['/Node', nodePrinter],
  ['/Namespace', namespacePrinter],
  ['/Event', eventPrinter],
  ['/ConfigMap', configMapPrinter],
  ['/Secret', secretPrinter],
  ['/ServiceAccount', serviceAccountPrinter],
  ['/PersistentVolume', persistentVolumePrinter],
  ['/PersistentVolumeClaim', persistentVolumeClaimPrinter],
  ['storage.k8s.io/StorageClass', storageClassPrinter],
  ['apps/Deployment', deploymentPrinter],
  ['apps/ReplicaSet', replicaSetPrinter],
  ['apps/StatefulSet', statefulSetPrinter],
  ['apps/DaemonSet', daemonSetPrinter],
  ['apps/ControllerRevision', controllerRevisionPrinter],
  ['batch/Job', jobPrinter],
  ['batch/CronJob', cronJobPrinter],
  ['discovery.k8s.io/EndpointSlice', endpointSlicePrinter],
  ['networking.k8s.io/Ingress', ingressPrinter],
  ['networking.k8s.io/IngressClass', ingressClassPrinter],
  ['coordination.k8s.io/Lease', leasePrinter],
  ['metallb.io/IPAddressPool', ipAddressPoolPrinter],
  ['metallb.io/L2Advertisement', l2AdvertisementPrinter],
]);

/** The printer for a kind ('' is the core group); the default Name/Created At printer otherwise. */
export function printerFor(group: string, kind: string): TablePrinter {
  return printers.get(`${group}/${kind}`) ?? defaultPrinter;
}

/** metav1.IncludeObjectPolicy */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface PartialObjectMetadata {
  kind: 'PartialObjectMetadata';
  apiVersion: 'meta.k8s.io/v1';
  metadata: ObjectMeta;
}

export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  object: KubeObject | PartialObjectMetadata | null;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  /** null when headers were not asked for (TableOptions.noHeaders), as Go encodes a nil slice. */
  columnDefinitions: TableColumnDefinition[] | null;
  rows: TableRow[];
}

export interface ToTableOptions {
  /** epoch ms, for ages */
  now: number;
  /** what each row's `object` carries; the API server's default is Metadata */
  includeObject?: IncludeObject;
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
  noHeaders?: boolean;
}

function rowObject(obj: KubeObject, includeObject: IncludeObject): TableRow['object'] {
  switch (includeObject) {
    case 'None':
      return null;
    case 'Object':
      return obj;
    case 'Metadata':
      return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
  }
}

/** Renders objects (a list's items, or one object) as a Table. */
export function toTable(printer: TablePrinter, objects: readonly KubeObject[], opts: ToTableOptions): Table {
  const includeObject = opts.includeObject ?? 'Metadata';
  const rowPrinter = printer as RowPrinter;
  const metadata: Table['metadata'] = {};
  if (opts.resourceVersion !== undefined) metadata.resourceVersion = opts.resourceVersion;
  if (opts.continue) metadata.continue = opts.continue;
  if (opts.remainingItemCount !== undefined) metadata.remainingItemCount = opts.remainingItemCount;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: opts.noHeaders ? null : printer.columns,
    rows: objects.map((obj) => {
      const row: TableRow = { cells: printer.cells(obj, opts.now), object: rowObject(obj, includeObject) };
      const conditions = rowPrinter.conditions?.(obj);
      if (conditions && conditions.length > 0) {
        // key order as Go encodes TableRow: cells, conditions, object
        return { cells: row.cells, conditions, object: row.object };
      }
      return row;
    }),
  };
}
