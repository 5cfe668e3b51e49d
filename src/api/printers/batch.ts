/** printJob and printCronJob from pkg/printers/internalversion/printers.go (Kubernetes 1.32). */
import type { CronJob, Job, JobCondition } from 'kubernetes-types/batch/v1.js';
import type { KubeObject } from '../types.js';
import type { TablePrinter } from '../table.js';
import { humanDuration, parseTime, translateTimestampSince } from './duration.js';
import { formatLabelSelector } from '../labels.js';
import { ageColumn, column, layoutContainerCells, nameColumn } from './format.js';

const batchDoc = {
  'JobStatus.succeeded': 'The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs.',
  'JobSpec.selector': 'A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
  'CronJobSpec.schedule': 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.',
  'CronJobSpec.timeZone':
    'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process. The set of valid time zone names and the time zone offset is loaded from the system-wide time zone database by the API server during CronJob validation and the controller manager during execution. If no system-wide time zone database can be found a bundled version of the database is used instead. If the time zone name becomes invalid during the lifetime of a CronJob or due to a change in host configuration, the controller will stop creating new new Jobs and will create a system event with the reason UnknownTimeZone. More information can be found in https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones',
  'CronJobSpec.suspend': 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions. Defaults to false.',
  'CronJobStatus.active': 'A list of pointers to currently running jobs.',
  'CronJobStatus.lastScheduleTime': 'Information when was the last time the job was successfully scheduled.',
};

const containersColumn = () => column('Containers', 'string', 'Names of each container in the template.', { priority: 1 });
const imagesColumn = () => column('Images', 'string', 'Images referenced by each container in the template.', { priority: 1 });

function hasCondition(conditions: JobCondition[] | undefined, type: string): boolean {
  return (conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** The STATUS cell of `kubectl get jobs`. */
export function jobStatusText(job: Job): string {
  const c = job.status?.conditions;
  if (hasCondition(c, 'Complete')) return 'Complete';
  if (hasCondition(c, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasCondition(c, 'Suspended')) return 'Suspended';
  if (hasCondition(c, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(c, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

export const jobPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'Status of the job.'),
    column('Completions', 'string', batchDoc['JobStatus.succeeded']),
    column('Duration', 'string', 'Time required to complete the job.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    column('Selector', 'string', batchDoc['JobSpec.selector'], { priority: 1 }),
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const job = obj as unknown as Job;
    const succeeded = job.status?.succeeded ?? 0;
    const spec = job.spec;
    let completions: string;
    if (spec?.completions != null) completions = `${succeeded}/${spec.completions}`;
    else if (spec?.parallelism != null && spec.parallelism > 1) completions = `${succeeded}/1 of ${spec.parallelism}`;
    else completions = `${succeeded}/1`;
    const start = parseTime(job.status?.startTime);
    const end = parseTime(job.status?.completionTime);
    const duration = start === undefined ? '' : humanDuration((end ?? now) - start);
    const [names, images] = layoutContainerCells(spec?.template?.spec?.containers);
    return [job.metadata?.name ?? '', jobStatusText(job), completions, duration, translateTimestampSince(job.metadata?.creationTimestamp, now), names, images, formatLabelSelector(spec?.selector)];
  },
};

export const cronJobPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    column('Schedule', 'string', batchDoc['CronJobSpec.schedule']),
    column('Timezone', 'string', batchDoc['CronJobSpec.timeZone']),
    column('Suspend', 'boolean', batchDoc['CronJobSpec.suspend']),
    column('Active', 'integer', batchDoc['CronJobStatus.active']),
    column('Last Schedule', 'string', batchDoc['CronJobStatus.lastScheduleTime']),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    column('Selector', 'string', batchDoc['JobSpec.selector'], { priority: 1 }),
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const cj = obj as unknown as CronJob;
    const spec = cj.spec;
    const last = cj.status?.lastScheduleTime ? translateTimestampSince(cj.status.lastScheduleTime, now) : '<none>';
    const suspend = spec?.suspend == null ? '<unset>' : spec.suspend ? 'True' : 'False';
    const [names, images] = layoutContainerCells(spec?.jobTemplate?.spec?.template?.spec?.containers);
    return [
      cj.metadata?.name ?? '',
      spec?.schedule ?? '',
      spec?.timeZone ?? '<none>',
      suspend,
      cj.status?.active?.length ?? 0,
      last,
      translateTimestampSince(cj.metadata?.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(spec?.jobTemplate?.spec?.selector),
    ];
  },
};
