/**
 * Restart back-off as kubelet keeps it (client-go flowcontrol.Backoff used by kuberuntime's doBackOff):
 * 10 s doubling to 300 s per container, forgotten after 2× the maximum (10 min) without a failure.
 */
import { realClock, type Clock } from '../../util/clock.js';
import { formatGoDuration } from '../duration.js';

export const INITIAL_BACKOFF_MS = 10_000;
export const MAX_CONTAINER_BACKOFF_MS = 300_000;

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

export interface RestartBackoffOptions {
  clock?: Clock;
  initialMs?: number;
  maxMs?: number;
}

export class RestartBackoff {
  private readonly clock: Clock;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly entries = new Map<string, Entry>();

  constructor(opts: RestartBackoffOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.initialMs = opts.initialMs ?? INITIAL_BACKOFF_MS;
    this.maxMs = opts.maxMs ?? MAX_CONTAINER_BACKOFF_MS;
  }

  private expired(eventTime: number, entry: Entry): boolean {
    return eventTime - entry.lastUpdate > 2 * this.maxMs;
  }

  /** The current back-off of `key` (0 when none). */
  get(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  /** Records a restart: the first (or the first after a quiet 10 min) waits `initial`, later ones double. */
  next(key: string, eventTime: number): void {
    const entry = this.entries.get(key);
    if (!entry || this.expired(eventTime, entry)) {
      this.entries.set(key, { backoffMs: this.initialMs, lastUpdate: this.clock.now() });
      return;
    }
    entry.backoffMs = Math.min(entry.backoffMs * 2, this.maxMs);
    entry.lastUpdate = this.clock.now();
  }

  /** Whether a container that finished at `eventTime` must still wait before it is restarted. */
  isInBackOffSince(key: string, eventTime: number): boolean {
    const entry = this.entries.get(key);
    if (!entry || this.expired(eventTime, entry)) return false;
    return this.clock.now() - eventTime < entry.backoffMs;
  }

  /** Milliseconds until a container that finished at `eventTime` may restart (0 if it may now). */
  remaining(key: string, eventTime: number): number {
    if (!this.isInBackOffSince(key, eventTime)) return 0;
    return eventTime + this.entries.get(key)!.backoffMs - this.clock.now();
  }

  /** Drops entries unused for 2× the maximum (kubelet's periodic GC). */
  gc(): void {
    const now = this.clock.now();
    for (const [key, entry] of this.entries) if (this.expired(now, entry)) this.entries.delete(key);
  }

  reset(key: string): void {
    this.entries.delete(key);
  }
}

export interface PodRef {
  name: string;
  namespace: string;
  uid: string;
}

/** kubelet's format.Pod: `name_namespace(uid)`. */
export function formatPod(pod: PodRef): string {
  return `${pod.name}_${pod.namespace}(${pod.uid})`;
}

/** Back-off key of one container of one pod (kubelet's getStableKey uses name, namespace, uid, container). */
export function backoffKey(pod: PodRef, container: string): string {
  return `${pod.name}_${pod.namespace}_${pod.uid}_${container}`;
}

/** The Waiting message of a container in `CrashLoopBackOff`. */
export function crashLoopBackOffMessage(o: { backoffMs: number; container: string; pod: PodRef }): string {
  return `back-off ${formatGoDuration(o.backoffMs)} restarting failed container=${o.container} pod=${formatPod(o.pod)}`;
}

/** The `BackOff` event message. */
export function backOffEventMessage(o: { container: string; pod: PodRef }): string {
  return `Back-off restarting failed container ${o.container} in pod ${formatPod(o.pod)}`;
}

export interface BackoffDecision {
  /** True: leave the container Waiting with reason CrashLoopBackOff and `message`; retry after `retryAfterMs`. */
  inBackOff: boolean;
  message?: string;
  retryAfterMs?: number;
}

/**
 * kubelet's doBackOff: asked when a dead container should restart. Outside back-off it records this
 * restart (so the next wait doubles) and says go.
 */
export function doBackOff(
  backoff: RestartBackoff,
  o: { pod: PodRef; container: string; finishedAt: number },
): BackoffDecision {
  const key = backoffKey(o.pod, o.container);
  if (backoff.isInBackOffSince(key, o.finishedAt)) {
    return {
      inBackOff: true,
      message: crashLoopBackOffMessage({ backoffMs: backoff.get(key), container: o.container, pod: o.pod }),
      retryAfterMs: backoff.remaining(key, o.finishedAt),
    };
  }
  backoff.next(key, o.finishedAt);
  return { inBackOff: false };
}
