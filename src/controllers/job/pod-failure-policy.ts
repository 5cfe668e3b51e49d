/** spec.podFailurePolicy: which rule a failed pod matches (pkg/controller/job/pod_failure_policy.go). */
import type { PodFailurePolicy, PodFailurePolicyOnExitCodesRequirement } from 'kubernetes-types/batch/v1.js';
import type { ContainerStatus } from 'kubernetes-types/core/v1.js';
import type { PodObject } from '../common/pods.js';

export type PodFailureAction = 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';

export interface PodFailureMatch {
  action: PodFailureAction;
  /** Whether the failure counts towards backoffLimit. */
  countFailed: boolean;
  /** The FailJob message. */
  message?: string;
}

function matchingContainer(statuses: ContainerStatus[] | undefined, req: PodFailurePolicyOnExitCodesRequirement): ContainerStatus | undefined {
  for (const cs of statuses ?? []) {
    const t = cs.state?.terminated;
    if (!t) continue;
    if (req.containerName != null && req.containerName !== cs.name) continue;
    if (t.exitCode === 0) continue;
    const listed = req.values.includes(t.exitCode);
    if ((req.operator === 'In' && listed) || (req.operator === 'NotIn' && !listed)) return cs;
  }
  return undefined;
}

/** matchPodFailurePolicy: the first rule that matches decides; none matching counts the failure. */
export function matchPodFailurePolicy(policy: PodFailurePolicy | undefined, pod: PodObject): PodFailureMatch {
  if (!policy) return { action: 'Count', countFailed: true };
  const where = `${pod.metadata.namespace}/${pod.metadata.name}`;
  for (const [i, rule] of (policy.rules ?? []).entries()) {
    const action = rule.action as PodFailureAction;
    if (rule.onExitCodes) {
      const cs = matchingContainer(pod.status?.initContainerStatuses, rule.onExitCodes) ?? matchingContainer(pod.status?.containerStatuses, rule.onExitCodes);
      if (!cs) continue;
      if (action === 'FailJob') {
        return { action, countFailed: true, message: `Container ${cs.name} for pod ${where} failed with exit code ${cs.state!.terminated!.exitCode} matching FailJob rule at index ${i}` };
      }
      return { action, countFailed: action !== 'Ignore' };
    }
    if (rule.onPodConditions) {
      const cond = (pod.status?.conditions ?? []).find((c) => rule.onPodConditions!.some((p) => p.type === c.type && (p.status ?? 'True') === c.status));
      if (!cond) continue;
      if (action === 'FailJob') return { action, countFailed: true, message: `Pod ${where} has condition ${cond.type} matching FailJob rule at index ${i}` };
      return { action, countFailed: action !== 'Ignore' };
    }
  }
  return { action: 'Count', countFailed: true };
}
