/** Wires ProbeWorkers to one container instance: readiness → ready, startup → started, liveness/startup failure → kill. */
import type { Probe } from 'kubernetes-types/core/v1.js';
import { runProbe } from '../probes/run-probe.js';
import { ProbeWorker, unhealthyMessage, type ProbeType } from '../probes/worker.js';
import type { ContainerSlot } from './container-slot.js';
import type { KubeletContext } from './context.js';
import type { PodWorker } from './pod-worker.js';

export function startProbes(o: { worker: PodWorker; slot: ContainerSlot; instance: number; ctx: KubeletContext; adopted?: boolean }): void {
  const { worker, slot, instance, ctx } = o;
  const proc = slot.proc!;
  const c = slot.spec;
  const current = () => slot.instance === instance && !worker.terminating;
  const resolvePort = (port: number | string): number | undefined => {
    if (typeof port === 'number') return port;
    if (/^\d+$/.test(port)) return Number(port);
    return c.ports?.find((p) => p.name === port)?.containerPort;
  };
  const make = (probeType: ProbeType, probe: Probe | undefined): void => {
    if (!probe) return;
    const w = new ProbeWorker({
      probeType,
      probe,
      clock: ctx.clock,
      containerStartedAt: proc.startedAt!,
      run: () => runProbe(probe, { podIP: worker.podIP!, resolvePort, exec: (argv, opts) => slot.runtime!.execSync(proc, argv, opts) }),
      isStarted: () => slot.record.started,
      // An adopted container keeps the readiness it had until its probe says otherwise. Kubernetes' prober starts
      // every readiness worker at Failure, so a restarted kubelet shows its pods NotReady until the first probe;
      // skiff restarts kube-proxy and the endpoint controllers along with it, so that flap would refuse Service
      // connections to pods that never stopped serving.
      initialResult: probeType === 'readiness' && o.adopted && slot.record.ready ? 'Success' : undefined,
      onProbe: (outcome) => {
        if (!current()) return;
        const msg = unhealthyMessage(probeType, outcome);
        if (msg) ctx.recorder.event(worker.pod as never, 'Warning', 'Unhealthy', msg);
      },
      onResult: (result) => {
        if (!current()) return;
        if (probeType === 'readiness') {
          slot.record.ready = result === 'Success' && slot.record.started && slot.running;
        } else if (probeType === 'startup') {
          if (result === 'Success') {
            slot.record.started = true;
            if (!c.readinessProbe) slot.record.ready = true;
          } else if (result === 'Failure') worker.killForProbe(slot, instance, 'startup');
        } else if (result === 'Failure') worker.killForProbe(slot, instance, 'liveness');
        ctx.statusChanged(worker);
      },
    });
    slot.probes.push(w);
    w.start();
  };
  make('startup', c.startupProbe);
  make('liveness', c.livenessProbe);
  make('readiness', c.readinessProbe);
}
