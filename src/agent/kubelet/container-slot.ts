/** One container of a pod on this node: its spec, the current process (instance) and what status reports. */
import type { Container } from 'kubernetes-types/core/v1.js';
import type { ContainerRuntime, RuntimeContainer, ContainerExit } from '../runtime/cri.js';
import type { ProbeWorker } from '../probes/worker.js';
import type { LeftoverContainer } from '../runtime/leftovers.js';
import { parseImageReference } from '../images/reference.js';
import { waitingRecord, type ContainerRecord } from './status.js';

export class ContainerSlot {
  record: ContainerRecord;
  proc: RuntimeContainer | undefined;
  /** The runtime `proc` runs on: the process runtime, or the OCI runtime for an image of the store. */
  runtime: ContainerRuntime | undefined;
  probes: ProbeWorker[] = [];
  /** Bumped per start, so late callbacks of an old instance are ignored. */
  instance = 0;
  lastExit: ContainerExit | undefined;
  /** Epoch ms a start failed without a process (StartError), for the restart back-off. */
  everStarted = false;
  /** A running container of a previous agent run to take over at the next sync (runtime/leftovers.ts). */
  adopt: { leftover: LeftoverContainer; startedAt: number } | undefined;

  constructor(
    readonly spec: Container,
    readonly init: boolean,
    restartCount = 0,
  ) {
    this.record = waitingRecord({
      name: spec.name,
      image: parseImageReference(spec.image ?? '').fullName,
      reason: init ? 'PodInitializing' : 'ContainerCreating',
      restartCount,
    });
    if (!init) this.record.state = { waiting: { reason: 'ContainerCreating' } };
  }

  get name(): string {
    return this.spec.name;
  }

  get running(): boolean {
    return this.proc?.state === 'running';
  }

  stopProbes(): void {
    for (const p of this.probes) p.stop();
    this.probes = [];
  }

  /** The log file of instance `restartCount` (CRI layout: <container>/<restartCount>.log). */
  static logFile(logDir: string, restartCount: number): string {
    return `${logDir}/${restartCount}.log`;
  }
}
