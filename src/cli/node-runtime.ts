/**
 * Picks a node's pod runtime (as cli/ picks the store driver): `loopback` — pods on the host network
 * with 127.x IPs, in their own mount+UTS namespace where the kernel allows it; `netns` — a network
 * namespace per pod on the node's `cni0` bridge, containers with their own mount, UTS and PID namespace.
 */
import { ProcessContainerRuntime, type IsolationMode } from '../agent/sandbox/containers.js';
import { LoopbackSandboxRuntime } from '../agent/sandbox/loopback.js';
import { detectLoopbackIsolation } from '../agent/sandbox/detect.js';
import { NetnsSandboxRuntime } from '../agent/sandbox/netns.js';
import type { NodeRuntime } from '../agent/runtime/cri.js';
import type { Clock } from '../util/clock.js';

export interface NodeRuntimeOptions {
  network: 'loopback' | 'netns';
  /** netns mode: every pod netns name starts with it (e.g. `skiff-c1-n1-`). */
  netnsPrefix?: string;
  /** netns mode: the pod bridge (`cni0`). */
  bridge?: string;
  /** loopback mode: `auto` (namespaces where the kernel allows them) or `none` (plain processes). */
  isolation?: 'auto' | 'none';
  dataDir: string;
  log: (message: string) => void;
  clock?: Clock;
}

export function createNodeRuntime(opts: NodeRuntimeOptions): NodeRuntime {
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
