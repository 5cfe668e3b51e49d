/** The pod a Job creates (GetPodFromTemplate + the Indexed-job additions of indexed_job_utils.go). */
import { jobCompletionIndexAnnotation, jobTrackingFinalizer, type JobObject } from '../../api/kinds/job.js';
import { clone, type KubeObject } from '../../api/types.js';
import { newControllerRef, type PodObject } from '../common/pods.js';

export const completionIndexEnvName = 'JOB_COMPLETION_INDEX';

export function podFromJob(job: JobObject, index?: number): PodObject {
  const t = job.spec?.template ?? {};
  const name = job.metadata.name!;
  const metadata: KubeObject['metadata'] = {
    generateName: index === undefined ? `${name}-` : `${name}-${index}-`,
    namespace: job.metadata.namespace,
    labels: { ...(t.metadata?.labels ?? {}) },
    ownerReferences: [newControllerRef(job)],
    finalizers: [...(t.metadata?.finalizers ?? []), jobTrackingFinalizer],
  };
  if (t.metadata?.annotations) metadata.annotations = { ...t.metadata.annotations };
  const spec = clone(t.spec ?? { containers: [] });
  if (index !== undefined) {
    metadata.annotations = { ...(metadata.annotations ?? {}), [jobCompletionIndexAnnotation]: String(index) };
    metadata.labels![jobCompletionIndexAnnotation] = String(index);
    // a stable hostname per index, as Kubernetes gives Indexed Job pods
    spec.hostname ??= `${name}-${index}`;
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      if ((c.env ?? []).some((e) => e.name === completionIndexEnvName)) continue;
      c.env = [...(c.env ?? []), { name: completionIndexEnvName, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.labels['${jobCompletionIndexAnnotation}']` } } }];
    }
  }
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec } as PodObject;
}
