/**
 * A probe worker for one container instance (kubelet's prober/worker.go): probes every periodSeconds
 * from the container's start, honours initialDelaySeconds, applies success/failure thresholds, waits
 * for the startup probe before liveness and readiness run, and stops after a liveness or startup
 * failure (the container is about to be restarted; a new instance gets a new worker).
 */
import type { Probe } from 'kubernetes-types/core/v1.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { ProbeOutcome } from './run-probe.js';

export type ProbeType = 'liveness' | 'readiness' | 'startup';
/** What the worker reports (results.Result): Warning is folded into Success. */
export type ProbeState = 'Success' | 'Failure' | 'Unknown';

export interface ProbeWorkerOptions {
  probeType: ProbeType;
  probe: Probe;
  clock: Clock;
  /** When the container instance started (status.state.running.startedAt), epoch ms. */
  containerStartedAt: number;
  /** One probe attempt, e.g. `() => runProbe(probe, ctx)`. */
  run: () => Promise<ProbeOutcome>;
  /** For liveness/readiness: whether the startup probe has succeeded (true when there is none). */
  isStarted?: () => boolean;
  /** Called when the reported result changes (including the initial one at start). */
  onResult?: (result: ProbeState) => void;
  /** The result to start from instead of the probe type's initial one: a result carried over from a previous run. */
  initialResult?: ProbeState;
  /** Called after every attempt that ran, with its raw outcome (for `Unhealthy` events). */
  onProbe?: (outcome: ProbeOutcome) => void;
}

/** Probe fields with Kubernetes' defaults applied (SetDefaults_Probe). */
export function probeDefaults(probe: Probe): Required<Pick<Probe, 'initialDelaySeconds' | 'periodSeconds' | 'timeoutSeconds' | 'successThreshold' | 'failureThreshold'>> {
  return {
    initialDelaySeconds: probe.initialDelaySeconds ?? 0,
    periodSeconds: Math.max(1, probe.periodSeconds ?? 10),
    timeoutSeconds: Math.max(1, probe.timeoutSeconds ?? 1),
    successThreshold: Math.max(1, probe.successThreshold ?? 1),
    failureThreshold: Math.max(1, probe.failureThreshold ?? 3),
  };
}

export function initialProbeResult(probeType: ProbeType): ProbeState {
  if (probeType === 'readiness') return 'Failure';
  if (probeType === 'liveness') return 'Success';
  return 'Unknown';
}

const PROBE_NAMES: Record<ProbeType, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

/** The `Unhealthy` event message for an attempt, or undefined when it succeeded. */
export function unhealthyMessage(probeType: ProbeType, outcome: ProbeOutcome): string | undefined {
  if (outcome.error !== undefined) return `${PROBE_NAMES[probeType]} probe errored: ${outcome.error}`;
  if (outcome.result === 'Success' || outcome.result === 'Warning') return undefined;
  return `${PROBE_NAMES[probeType]} probe failed: ${outcome.output}`;
}

export class ProbeWorker {
  readonly probeType: ProbeType;
  private readonly opts: ProbeWorkerOptions;
  private readonly spec: ReturnType<typeof probeDefaults>;
  private current: ProbeState;
  private lastResult: ProbeState = 'Unknown';
  private resultRun = 0;
  private timer: TimerHandle | undefined;
  private stopped = true;
  private inFlight: Promise<void> | undefined;

  constructor(opts: ProbeWorkerOptions) {
    this.opts = opts;
    this.probeType = opts.probeType;
    this.spec = probeDefaults(opts.probe);
    this.current = opts.initialResult ?? initialProbeResult(opts.probeType);
  }

  get result(): ProbeState {
    return this.current;
  }

  /** Reports the initial result and probes now, then every periodSeconds. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.opts.onResult?.(this.current);
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Resolves when the attempt in flight (if any) has been applied; for tests and orderly shutdown. */
  async settled(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private tick(): void {
    if (this.stopped) return;
    const startedTick = this.opts.clock.now();
    this.inFlight = this.doProbe().finally(() => {
      this.inFlight = undefined;
      if (this.stopped) return;
      const wait = Math.max(0, startedTick + this.spec.periodSeconds * 1000 - this.opts.clock.now());
      this.timer = this.opts.clock.setTimeout(() => this.tick(), wait);
    });
  }

  /** One round of worker.doProbe; returns without probing while gated. */
  private async doProbe(): Promise<void> {
    if (this.probeType !== 'startup' && this.opts.isStarted && !this.opts.isStarted()) return;
    const sinceStart = Math.trunc((this.opts.clock.now() - this.opts.containerStartedAt) / 1000);
    if (sinceStart < this.spec.initialDelaySeconds) return;
    let outcome: ProbeOutcome;
    try {
      outcome = await this.opts.run();
    } catch (err) {
      outcome = { result: 'Unknown', output: '', error: err instanceof Error ? err.message : String(err) };
    }
    if (this.stopped) return;
    this.opts.onProbe?.(outcome);
    if (outcome.error !== undefined) return; // kubelet throws away a result that errored
    const result: ProbeState = outcome.result === 'Success' || outcome.result === 'Warning' ? 'Success' : 'Failure';
    if (this.lastResult === result) this.resultRun++;
    else {
      this.lastResult = result;
      this.resultRun = 1;
    }
    if (
      (result === 'Failure' && this.resultRun < this.spec.failureThreshold) ||
      (result === 'Success' && this.resultRun < this.spec.successThreshold)
    ) {
      return;
    }
    this.set(result);
    if ((this.probeType === 'liveness' || this.probeType === 'startup') && result === 'Failure') {
      this.stop(); // on hold until a new container instance
    } else if (this.probeType === 'startup' && result === 'Success') {
      this.stop(); // a started container is never probed for startup again
    }
  }

  private set(result: ProbeState): void {
    if (result === this.current) return;
    this.current = result;
    this.opts.onResult?.(result);
  }
}
