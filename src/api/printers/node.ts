/** printNode from pkg/printers/internalversion/printers.go. */
import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../types.js';
import type { TablePrinter } from '../table.js';
import { doc } from './descriptions.js';
import { translateTimestampSince } from './duration.js';
import { ageColumn, column, nameColumn, sortStrings } from './format.js';

const labelNodeRolePrefix = 'node-role.kubernetes.io/';
const nodeLabelRole = 'kubernetes.io/role';

/** `Ready`/`NotReady` from the Ready condition, `Unknown` without one, plus `SchedulingDisabled`. */
export function nodeStatus(node: Node): string {
  const byType = new Map<string, NodeCondition>();
  for (const c of node.status?.conditions ?? []) byType.set(c.type, c);
  const status: string[] = [];
  const ready = byType.get('Ready');
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  if (status.length === 0) status.push('Unknown');
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

/** findNodeRoles: `node-role.kubernetes.io/<role>` keys and `kubernetes.io/role=<role>`, sorted. */
export function findNodeRoles(node: Node): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith(labelNodeRolePrefix)) {
      const role = k.slice(labelNodeRolePrefix.length);
      if (role.length > 0) roles.add(role);
    } else if (k === nodeLabelRole && v !== '') {
      roles.add(v);
    }
  }
  return sortStrings(roles);
}

function nodeAddress(node: Node, type: string): string {
  return (node.status?.addresses ?? []).find((a) => a.type === type)?.address ?? '<none>';
}

export const nodePrinter: TablePrinter = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    ageColumn(),
    column('Version', 'string', doc['NodeSystemInfo.kubeletVersion']),
    column('Internal-IP', 'string', doc['NodeStatus.addresses'], { priority: 1 }),
    column('External-IP', 'string', doc['NodeStatus.addresses'], { priority: 1 }),
    column('OS-Image', 'string', doc['NodeSystemInfo.osImage'], { priority: 1 }),
    column('Kernel-Version', 'string', doc['NodeSystemInfo.kernelVersion'], { priority: 1 }),
    column('Container-Runtime', 'string', doc['NodeSystemInfo.containerRuntimeVersion'], { priority: 1 }),
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const node = obj as unknown as Node;
    const info = node.status?.nodeInfo;
    const roles = findNodeRoles(node).join(',');
    return [
      node.metadata?.name ?? '',
      nodeStatus(node),
      roles.length === 0 ? '<none>' : roles,
      translateTimestampSince(node.metadata?.creationTimestamp, now),
      info?.kubeletVersion ?? '',
      nodeAddress(node, 'InternalIP'),
      nodeAddress(node, 'ExternalIP'),
      info?.osImage || '<unknown>',
      info?.kernelVersion || '<unknown>',
      info?.containerRuntimeVersion || '<unknown>',
    ];
  },
};
