/**
 * The pod worker's one call into volumes when it creates a container: the CRI mounts, and in loopback
 * mode without mount namespaces an event per container saying where each mounted volume lives and which
 * env var carries its path (also what `kubectl describe pod` shows).
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeletContext } from '../kubelet/context.js';
import { volumeEnvName, type Mount } from './volume-manager.js';

export function mountsFor(o: {
  ctx: KubeletContext;
  pod: Pod;
  container: Container;
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
}): { mounts: Mount[] } | { error: string } {
  const r = o.ctx.volumes.containerMounts(o.pod.metadata!.uid!, o.container);
  if ('error' in r || o.ctx.mountNamespaces || r.mounts.length === 0) return r;
  const where = (o.container.volumeMounts ?? []).map((vm, i) => `${vm.mountPath} -> ${r.mounts[i]!.hostPath} ($${volumeEnvName(vm.name)})`);
  o.event('Normal', 'VolumesNotMounted', `no mount namespace in loopback mode: container ${o.container.name} finds its volumes at their host paths: ${where.join(', ')}`);
  return r;
}
