/** printDeployment and printReplicaSet from pkg/printers/internalversion/printers.go. */
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { KubeObject } from '../types.js';
import type { TablePrinter } from '../table.js';
import { doc } from './descriptions.js';
import { translateTimestampSince } from './duration.js';
import { formatLabelSelector, labelSelectorString } from '../labels.js';
import { ageColumn, column, layoutContainerCells, nameColumn } from './format.js';

const containersColumn = () => column('Containers', 'string', 'Names of each container in the template.', { priority: 1 });
const imagesColumn = () => column('Images', 'string', 'Images referenced by each container in the template.', { priority: 1 });

export const deploymentPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    column('Ready', 'string', 'Number of the pod with ready state'),
    column('Up-to-date', 'string', doc['DeploymentStatus.updatedReplicas']),
    column('Available', 'string', doc['DeploymentStatus.availableReplicas']),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    column('Selector', 'string', doc['DeploymentSpec.selector'], { priority: 1 }),
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const d = obj as unknown as Deployment;
    // spec.replicas is defaulted to 1 when the object is decoded.
    const desired = d.spec?.replicas ?? 1;
    const [names, images] = layoutContainerCells(d.spec?.template?.spec?.containers);
    return [
      d.metadata?.name ?? '',
      `${d.status?.readyReplicas ?? 0}/${desired}`,
      d.status?.updatedReplicas ?? 0,
      d.status?.availableReplicas ?? 0,
      translateTimestampSince(d.metadata?.creationTimestamp, now),
      names,
      images,
      labelSelectorString(d.spec?.selector) ?? '<invalid>',
    ];
  },
};

export const replicaSetPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    column('Desired', 'integer', doc['ReplicaSetSpec.replicas']),
    column('Current', 'integer', doc['ReplicaSetStatus.replicas']),
    column('Ready', 'integer', doc['ReplicaSetStatus.readyReplicas']),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    column('Selector', 'string', doc['ReplicaSetSpec.selector'], { priority: 1 }),
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const rs = obj as unknown as ReplicaSet;
    const [names, images] = layoutContainerCells(rs.spec?.template?.spec?.containers);
    return [
      rs.metadata?.name ?? '',
      rs.spec?.replicas ?? 1,
      rs.status?.replicas ?? 0,
      rs.status?.readyReplicas ?? 0,
      translateTimestampSince(rs.metadata?.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(rs.spec?.selector),
    ];
  },
};
