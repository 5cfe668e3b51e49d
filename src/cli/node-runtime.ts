/**
 * Picks a node's pod runtime (as cli/ picks the store driver): `loopback` — pods on the host network
 * with 127.x IPs, in their own mount+UTS namespace where the kernel allows it; `netns` — a network
 * namespace per pod on the node's `cni0` bridge, containers with their own mount, UTS and PID namespace.
 * And the container runtime for OCI images (`--container-runtime`): `oci` (crun/runc) by default in
 * netns mode where the machine has what it needs, else `process` (the built-in catalog only).
 */
import path from 'node:path';
import { ProcessContainerRuntime, type IsolationMode } from '../agent/sandbox/containers.js';
import { LoopbackSandboxRuntime } from '../agent/sandbox/loopback.js';
import { detectLoopbackIsolation } from '../agent/sandbox/detect.js';
import { NetnsSandboxRuntime } from '../agent/sandbox/netns.js';
import { imageStoreDir, openImageStore } from '../agent/images/oci/store.js';
import { detectOciSupport, OciContainerRuntime } from '../agent/runtime/oci/oci-runtime.js';
import type { ImageService, NodeRuntime } from '../agent/runtime/cri.js';
import type { Clock } from '../util/clock.js';
import type { RegistryHosts } from '../agent/images/oci/registries.js';

export const containerRuntimeFlags = ['auto', 'oci', 'process'] as const;
export type ContainerRuntimeFlag = (typeof containerRuntimeFlags)[number];

/** `--container-runtime` value check, for the CLI. */
export function parseContainerRuntimeFlag(value: string): ContainerRuntimeFlag {
  if (!(containerRuntimeFlags as readonly string[]).includes(value)) throw new Error(`--container-runtime: unknown runtime "${value}" (one of ${containerRuntimeFlags.join(', ')})`);
  return value as ContainerRuntimeFlag;
}

export interface NodeRuntimeOptions {
  network: 'loopback' | 'netns';
  /** netns mode: every pod netns name starts with it (e.g. `skiff-c1-n1-`). */
  netnsPrefix?: string;
  /** netns mode: the pod bridge (`cni0`). */
  bridge?: string;
  /** loopback mode: `auto` (namespaces where the kernel allows them) or `none` (plain processes). */
  isolation?: 'auto' | 'none';
  /** `--container-runtime`: `auto` = oci in netns mode where it can run, else process. */
  containerRuntime?: ContainerRuntimeFlag;
  /** The node's data dir (`<dir>/agent/<node>`): OCI runtime state under `oci/`. */
  dataDir: string;
  /** The OCI image store; default: the one under the server's/agent's data dir (`imagesDataDir`). */
  images?: ImageService;
  /** The server's (or agent's) data dir, whose image store the node's OCI containers use. */
  imagesDataDir?: string;
  log: (message: string) => void;
  clock?: Clock;
  /** registries.yaml and --disable-default-registry-endpoint, for the store's pulls. */
  registries?: RegistryHosts;
}

export function createNodeRuntime(opts: NodeRuntimeOptions): NodeRuntime {
  const base = createPodRuntime(opts);
  const oci = chooseOci(opts);
  if (opts.containerRuntime === 'oci' && !oci.ok) throw new Error(`--container-runtime oci: ${oci.why}`);
  if (!oci.ok) return { ...base, description: `${base.description}; container runtime: process (${oci.why})` };
  return { ...base, oci: { images: oci.images, containers: oci.containers }, description: `${base.description}; container runtime: oci — ${oci.containers.description} (the built-in skiff/* catalog still runs as processes)` };
}

function chooseOci(opts: NodeRuntimeOptions): { ok: true; images: ImageService; containers: OciContainerRuntime } | { ok: false; why: string } {
  const flag = opts.containerRuntime ?? 'auto';
  if (flag === 'process') return { ok: false, why: '--container-runtime process' };
  if (flag === 'auto' && opts.network !== 'netns') return { ok: false, why: 'loopback network mode: the default is oci only in netns mode (pass --container-runtime oci)' };
  const made = detectOciSupport(path.join(opts.dataDir, 'oci'));
  if (!made.ok) return made;
  const images = opts.images ?? openImageStore({ root: imageStoreDir(opts.imagesDataDir ?? opts.dataDir), log: opts.log, ...(opts.registries ? { registries: opts.registries } : {}) });
  return { ok: true, images, containers: new OciContainerRuntime({ dataDir: opts.dataDir, support: made.support, ...(opts.clock ? { clock: opts.clock } : {}) }) };
}

function createPodRuntime(opts: NodeRuntimeOptions): NodeRuntime {
  if (opts.network === 'netns') {
    if (!opts.netnsPrefix) throw new Error('netns mode needs a netnsPrefix for the pod network namespaces');
    const sandboxes = new NetnsSandboxRuntime({ netnsPrefix: opts.netnsPrefix, bridge: opts.bridge, log: opts.log });
    return {
      network: 'netns',
      sandboxes,
      containers: new ProcessContainerRuntime({ mode: 'netns', clock: opts.clock }),
      description: `netns runtime: a network namespace per pod (${opts.netnsPrefix}*) on bridge ${opts.bridge ?? 'cni0'}; containers get their own mount, UTS and PID namespaces`,
    };
  }
  const { mode, why } = opts.isolation === 'none' ? { mode: 'none' as const, why: 'disabled' } : detectLoopbackIsolation();
  const what: Record<IsolationMode, string> = {
    root: 'pods get their own mount and UTS namespaces (resolv.conf, hosts, hostname); the network is the host\'s',
    userns: 'pods get their own user, mount and UTS namespaces (resolv.conf, hosts, hostname); the network is the host\'s',
    none: `pods share the host's mount and UTS namespaces (${why}); LOCALDOMAIN/RES_OPTIONS carry the cluster search path`,
    netns: '',
  };
  return {
    network: 'loopback',
    sandboxes: new LoopbackSandboxRuntime(),
    containers: new ProcessContainerRuntime({ mode, reason: why, clock: opts.clock }),
    description: `loopback runtime: ${what[mode]}`,
  };
}
