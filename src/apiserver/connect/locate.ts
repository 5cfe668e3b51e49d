/**
 * Where a pod's log/exec/attach/portforward request goes: kube-apiserver's pod ResourceLocation rules
 * (pkg/registry/core/pod/strategy.go) — the container check, the node, and the kubelet path.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { badRequest } from '../../api/status.js';

export type PodSubresource = 'log' | 'exec' | 'attach' | 'portforward';

export interface KubeletLocation {
  host: string;
  port: number;
  /** Path and query on the kubelet API. */
  path: string;
}

const DEFAULT_KUBELET_PORT = 10250;
/** kube-apiserver's default --kubelet-preferred-address-types, with InternalIP first for skiff's loopback nodes. */
const ADDRESS_PREFERENCE = ['InternalIP', 'Hostname', 'InternalDNS', 'ExternalDNS', 'ExternalIP'];

function names(containers: Array<{ name: string }> | undefined): string[] {
  return (containers ?? []).map((c) => c.name);
}

function hasContainer(pod: Pod, name: string): boolean {
  const spec = pod.spec;
  return [...names(spec?.containers), ...names(spec?.initContainers), ...names(spec?.ephemeralContainers)].includes(name);
}

/** The container a request addresses: the given one (must exist) or the pod's only container. */
export function resolveContainer(pod: Pod, container: string, subresource: PodSubresource): string {
  const name = pod.metadata?.name ?? '';
  if (container) {
    if (!hasContainer(pod, container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
    return container;
  }
  const containers = names(pod.spec?.containers);
  if (containers.length === 1) return containers[0]!;
  if (containers.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
  if (subresource === 'log') {
    // LogLocation lists every container (init, regular, ephemeral), Go's %s of a []string
    const all = [...names(pod.spec?.initContainers), ...containers, ...names(pod.spec?.ephemeralContainers)];
    throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${all.join(' ')}]`);
  }
  let msg = `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`;
  const init = names(pod.spec?.initContainers);
  if (init.length > 0) msg += ` or one of the init containers: [${init.join(' ')}]`;
  throw badRequest(msg);
}

/** The kubelet endpoint of a node: its preferred address and daemonEndpoints.kubeletEndpoint.Port. */
export function kubeletEndpoint(node: Node): { host: string; port: number } {
  const addresses = node.status?.addresses ?? [];
  for (const type of ADDRESS_PREFERENCE) {
    const found = addresses.find((a) => a.type === type && a.address);
    if (found) return { host: found.address, port: node.status?.daemonEndpoints?.kubeletEndpoint?.Port || DEFAULT_KUBELET_PORT };
  }
  throw badRequest(`no preferred addresses found; known addresses: [${addresses.map((a) => `{${a.type} ${a.address}}`).join(' ')}]`);
}

/** The kubelet path for a subresource, passing the client's query on (without `container`, which is in the path). */
export function kubeletPath(pod: Pod, subresource: PodSubresource, container: string, query: URLSearchParams): string {
  const ns = encodeURIComponent(pod.metadata?.namespace ?? 'default');
  const name = encodeURIComponent(pod.metadata?.name ?? '');
  const q = new URLSearchParams(query);
  q.delete('container');
  const qs = q.toString() ? `?${q.toString()}` : '';
  const c = encodeURIComponent(container);
  switch (subresource) {
    case 'log':
      return `/containerLogs/${ns}/${name}/${c}${qs}`;
    case 'exec':
      return `/exec/${ns}/${name}/${c}${qs}`;
    case 'attach':
      return `/attach/${ns}/${name}/${c}${qs}`;
    case 'portforward':
      return `/portForward/${ns}/${name}${qs}`;
  }
}

/** The pod's node name, or the 400 kube-apiserver answers for an unscheduled pod (logs: no location at all). */
export function assignedNode(pod: Pod): string {
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) throw badRequest(`pod ${pod.metadata?.name ?? ''} does not have a host assigned`);
  return nodeName;
}
