/** printStatefulSet, printDaemonSet and printControllerRevision from pkg/printers/internalversion/printers.go. */
import type { DaemonSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../types.js';
import type { TablePrinter } from '../table.js';
import { translateTimestampSince } from './duration.js';
import { formatLabelSelector } from '../labels.js';
import { ageColumn, column, formatLabels, layoutContainerCells, nameColumn } from './format.js';

const containersColumn = () => column('Containers', 'string', 'Names of each container in the template.', { priority: 1 });
const imagesColumn = () => column('Images', 'string', 'Images referenced by each container in the template.', { priority: 1 });

/** SwaggerDoc() strings of the apps/v1 fields these printers describe. */
const doc = {
  desiredNumberScheduled: 'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/',
  currentNumberScheduled: 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/',
  numberReady: 'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.',
  updatedNumberScheduled: 'The total number of nodes that are running updated daemon pod',
  numberAvailable: 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)',
  nodeSelector: "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/",
  dsSelector: "A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
  revision: 'Revision indicates the revision of the state represented by Data.',
};

export const statefulSetPrinter: TablePrinter = {
  columns: [nameColumn(), column('Ready', 'string', 'Number of the pod with ready state'), ageColumn(), containersColumn(), imagesColumn()],
  cells(obj: KubeObject, now: number): unknown[] {
    const s = obj as unknown as StatefulSet;
    const [names, images] = layoutContainerCells(s.spec?.template?.spec?.containers);
    return [s.metadata?.name ?? '', `${s.status?.readyReplicas ?? 0}/${s.spec?.replicas ?? 1}`, translateTimestampSince(s.metadata?.creationTimestamp, now), names, images];
  },
};

export const daemonSetPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    column('Desired', 'integer', doc.desiredNumberScheduled),
    column('Current', 'integer', doc.currentNumberScheduled),
    column('Ready', 'integer', doc.numberReady),
    column('Up-to-date', 'integer', doc.updatedNumberScheduled),
    column('Available', 'integer', doc.numberAvailable),
    column('Node Selector', 'string', doc.nodeSelector),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    column('Selector', 'string', doc.dsSelector, { priority: 1 }),
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const d = obj as unknown as DaemonSet;
    const st = d.status;
    const [names, images] = layoutContainerCells(d.spec?.template?.spec?.containers);
    return [
      d.metadata?.name ?? '',
      st?.desiredNumberScheduled ?? 0,
      st?.currentNumberScheduled ?? 0,
      st?.numberReady ?? 0,
      st?.updatedNumberScheduled ?? 0,
      st?.numberAvailable ?? 0,
      formatLabels(d.spec?.template?.spec?.nodeSelector),
      translateTimestampSince(d.metadata?.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(d.spec?.selector),
    ];
  },
};

/** formatResourceName(groupKind, name, withKind): `statefulset.apps/web`. */
function controllerName(ref: OwnerReference | undefined): string {
  if (!ref) return '<none>';
  const slash = ref.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
  const kind = group ? `${ref.kind}.${group}` : ref.kind;
  return `${kind.toLowerCase()}/${ref.name}`;
}

export const controllerRevisionPrinter: TablePrinter = {
  columns: [nameColumn(), column('Controller', 'string', 'Controller of the object'), column('Revision', 'string', doc.revision), ageColumn()],
  cells(obj: KubeObject, now: number): unknown[] {
    const ref = obj.metadata.ownerReferences?.find((r) => r.controller === true);
    return [obj.metadata.name ?? '', controllerName(ref), (obj.revision as number | undefined) ?? 0, translateTimestampSince(obj.metadata.creationTimestamp, now)];
  },
};
