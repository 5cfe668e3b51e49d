/**
 * The CronJob controller's schedule arithmetic (pkg/controller/cronjob/utils.go): the most recent unmet
 * start time, the missed-start count, when to look again, and the names and timestamps of the Jobs.
 */
import type { CronJob } from 'kubernetes-types/batch/v1.js';
import type { CronSchedule } from '../../util/cron.js';

/** nextScheduleDelta: a little padding so a requeue lands after the scheduled minute. */
export const nextScheduleDeltaMs = 100;

export type MissedSchedules = 'none' | 'few' | 'many';

export interface MostRecent {
  earliest: number;
  /** The most recent schedule time not after now, if any is unmet. */
  mostRecent?: number;
  missed: MissedSchedules;
  error?: string;
}

function ms(ts: string | undefined | null): number | undefined {
  if (!ts) return undefined;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? undefined : t;
}

/** mostRecentScheduleTime */
export function mostRecentScheduleTime(cj: CronJob, now: number, sched: CronSchedule, tz: string | undefined, includeStartingDeadline: boolean): MostRecent {
  let earliest = ms(cj.status?.lastScheduleTime) ?? ms(cj.metadata?.creationTimestamp) ?? now;
  const sds = cj.spec?.startingDeadlineSeconds;
  if (includeStartingDeadline && sds != null) {
    const schedulingDeadline = now - sds * 1000;
    if (schedulingDeadline > earliest) earliest = schedulingDeadline;
  }
  const next = (t: number) => sched.next(t, tz);
  const t1 = next(earliest);
  if (t1 === undefined || now < t1) return { earliest, missed: 'none' };
  const t2 = next(t1);
  if (t2 === undefined || now < t2) return { earliest, mostRecent: t1, missed: 'none' };
  const between = Math.round((t2 - t1) / 1000);
  if (between < 1) return { earliest, missed: 'none', error: 'time difference between two schedules is less than 1 second' };
  const elapsed = Math.trunc((now - t1) / 1000);
  const missedCount = Math.trunc(elapsed / between) + 1;
  let mostRecent: number | undefined;
  const potentialEarliest = t1 + (missedCount - 2) * between * 1000;
  for (let t = next(potentialEarliest); t !== undefined && t <= now; t = next(t)) mostRecent = t;
  const missed: MissedSchedules = missedCount > 100 ? 'many' : missedCount > 0 ? 'few' : 'none';
  return { earliest, mostRecent, missed };
}

/** nextScheduleTimeDuration: ms until the next schedule after the last handled one (plus the delta). */
export function nextScheduleTimeDuration(cj: CronJob, now: number, sched: CronSchedule, tz: string | undefined): number {
  const r = mostRecentScheduleTime(cj, now, sched, tz, false);
  let from: number;
  if (r.error) from = now;
  else if (r.mostRecent === undefined) from = r.missed === 'none' ? r.earliest : now;
  else from = r.mostRecent;
  const t = sched.next(from, tz);
  return t === undefined ? 24 * 3_600_000 : t + nextScheduleDeltaMs - now;
}

/** getJobName: `<cronjob>-<scheduled time in minutes since the epoch>`. */
export function jobNameFor(cronJobName: string, scheduled: number): string {
  return `${cronJobName}-${Math.floor(scheduled / 60_000)}`;
}

/** time.Time.In(zone).Format(time.RFC3339): `2026-01-01T09:00:00+01:00`, `Z` in UTC. */
export function rfc3339In(t: number, tz: string | undefined): string {
  const zone = tz ?? 'UTC';
  const parts: Record<string, string> = {};
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  for (const p of fmt.formatToParts(t)) parts[p.type] = p.value;
  const hour = parts.hour === '24' ? '00' : parts.hour;
  const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(hour), Number(parts.minute), Number(parts.second));
  const offsetMin = Math.round((wall - Math.floor(t / 1000) * 1000) / 60_000);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const off = offsetMin === 0 ? 'Z' : `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${parts.year}-${parts.month}-${parts.day}T${hour}:${parts.minute}:${parts.second}${off}`;
}

/** time.RFC1123Z in UTC, as the MissSchedule event prints the time: `Mon, 02 Jan 2006 15:04:05 +0000`. */
export function rfc1123z(t: number): string {
  const d = new Date(t);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const mons = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${mons[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
