import type { NamespaceCondition } from 'kubernetes-types/core/v1.js';
import type { ResourceInfo } from '../../api/resources.js';

/** What one pass of content deletion left behind in a terminating namespace. */
export interface ContentTotals {
  /** `resource.group` → objects still present. */
  remaining: Map<string, number>;
  /** finalizer → objects still carrying it. */
  finalizers: Map<string, number>;
  /** Resources whose list or delete failed, with the error. */
  deleteErrors: string[];
}

export function emptyTotals(): ContentTotals {
  return { remaining: new Map(), finalizers: new Map(), deleteErrors: [] };
}

/** `pods.` / `deployments.apps`: the `%s.%s` of resource and group kube's messages use. */
export function gvrLabel(info: Pick<ResourceInfo, 'resource' | 'group'>): string {
  return `${info.resource}.${info.group}`;
}

export const conditionTypes = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
] as const;

type ConditionType = (typeof conditionTypes)[number];

const okReasons: Record<ConditionType, string> = {
  NamespaceDeletionDiscoveryFailure: 'ResourcesDiscovered',
  NamespaceDeletionGroupVersionParsingFailure: 'ParsedGroupVersions',
  NamespaceDeletionContentFailure: 'ContentDeleted',
  NamespaceContentRemaining: 'ContentRemoved',
  NamespaceFinalizersRemaining: 'ContentHasNoFinalizers',
};

const okMessages: Record<ConditionType, string> = {
  NamespaceDeletionDiscoveryFailure: 'All resources successfully discovered',
  NamespaceDeletionGroupVersionParsingFailure: 'All legacy kube types successfully parsed',
  NamespaceDeletionContentFailure: 'All content successfully deleted, may be waiting on finalization',
  NamespaceContentRemaining: 'All content successfully removed',
  NamespaceFinalizersRemaining: 'All content-preserving finalizers finished',
};

function counted(m: Map<string, number>, fmt: (k: string, n: number) => string): string[] {
  return [...m].filter(([, n]) => n > 0).map(([k, n]) => fmt(k, n)).sort();
}

/**
 * The five deletion conditions kube-controller-manager keeps on a terminating Namespace, with its
 * reasons and messages. A condition whose status, reason and message are unchanged keeps its
 * lastTransitionTime from `previous`.
 */
export function namespaceConditions(totals: ContentTotals, previous: readonly NamespaceCondition[], now: string): NamespaceCondition[] {
  const problems = new Map<ConditionType, { reason: string; message: string }>();
  if (totals.deleteErrors.length > 0) {
    problems.set('NamespaceDeletionContentFailure', {
      reason: 'ContentDeletionFailed',
      message: `Failed to delete all resource types, ${totals.deleteErrors.length} remaining: ${totals.deleteErrors.join(', ')}`,
    });
  }
  const remaining = counted(totals.remaining, (gvr, n) => `${gvr} has ${n} resource instances`);
  if (remaining.length > 0) {
    problems.set('NamespaceContentRemaining', { reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${remaining.join(', ')}` });
  }
  const finalizers = counted(totals.finalizers, (f, n) => `${f} in ${n} resource instances`);
  if (finalizers.length > 0) {
    problems.set('NamespaceFinalizersRemaining', {
      reason: 'SomeFinalizersRemain',
      message: `Some content in the namespace has finalizers remaining: ${finalizers.join(', ')}`,
    });
  }
  return conditionTypes.map((type) => {
    const p = problems.get(type);
    const next: NamespaceCondition = p ? { type, status: 'True', reason: p.reason, message: p.message } : { type, status: 'False', reason: okReasons[type], message: okMessages[type] };
    const old = previous.find((c) => c.type === type);
    const same = old && old.status === next.status && old.reason === next.reason && old.message === next.message;
    return { ...next, lastTransitionTime: same && old.lastTransitionTime ? old.lastTransitionTime : now };
  });
}

/** Whether two condition lists say the same thing (ignoring nothing: times included). */
export function sameConditions(a: readonly NamespaceCondition[] | undefined, b: readonly NamespaceCondition[]): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b);
}
