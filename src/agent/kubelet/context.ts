/** What a pod worker needs from its kubelet (shared per node). */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { EventRecorder } from '../../client/events.js';
import type { Clock } from '../../util/clock.js';
import type { RestartBackoff } from '../runtime/backoff.js';
import type { EnvSources } from './env.js';
import type { ImagePuller } from './image-puller.js';
import type { NodeRuntime } from '../runtime/cri.js';
import type { KubeletDNSSettings } from '../dns-config.js';
import type { PodWorker } from './pod-worker.js';
import type { LeftoverContainer } from '../runtime/leftovers.js';
import type { VolumeManager } from '../volumes/volume-manager.js';

export interface KubeletContext {
  nodeName: string;
  nodeIP: string;
  podsDir: string;
  clock: Clock;
  log: (message: string) => void;
  /** The node's sandbox and container runtime (cli/ picks it). */
  runtime: NodeRuntime;
  /** clusterDNS / clusterDomain / the node's resolv.conf for the pod's /etc/resolv.conf. */
  dnsSettings(): KubeletDNSSettings;
  /** The node's /etc/hosts (hostNetwork pods). */
  nodeHosts(): string;
  images: ImagePuller;
  backoff: RestartBackoff;
  recorder: EventRecorder;
  /** Pod volumes (src/agent/volumes); `mountNamespaces` when the runtime bind-mounts CRI mounts. */
  volumes: VolumeManager;
  mountNamespaces: boolean;
  envSources(pod: Pod, podIP: string): EnvSources;
  /** The worker's status may have changed: write it (debounced). */
  statusChanged(worker: PodWorker): void;
  /** Writes the worker's status now (before the final delete). */
  flushStatus(worker: PodWorker): Promise<void>;
  /** The recorded containers of pod `uid` a previous agent run left (each handed out once). */
  claimLeftovers(uid: string): LeftoverContainer[];
  /** Final delete of a terminated pod (gracePeriodSeconds=0, uid precondition). */
  deletePod(pod: Pod): Promise<void>;
}
