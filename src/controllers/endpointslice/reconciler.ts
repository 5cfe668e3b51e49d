/**
 * The pure part of the EndpointSlice controller (pkg/controller/endpointslice/reconciler.go): from a
 * Service, its pods and its existing slices, compute the slices to create, update and delete, with
 * minimal churn (endpoints stay in the slice they are in; slices are updated in place).
 */
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../../api/types.js';
import { ipFamilyOf } from '../../util/net.js';
import {
  byName, endpointHostname, isPodReady, podIPs, podTargetRef, portSetKey, resolvePorts, selectsPod,
  shouldPodBeInEndpoints, type ResolvedPort,
} from './pods.js';
import { managedByLabel, serviceNameLabel } from '../../api/kinds/endpoints.js';

export const controllerName = 'endpointslice-controller.k8s.io';
export const headlessLabel = 'service.kubernetes.io/headless';
export const defaultMaxEndpointsPerSlice = 100;

export type Slice = EndpointSlice & KubeObject;

export interface SliceReconcileInput {
  service: Service & KubeObject;
  /** Pods of the Service's namespace (selection happens here). */
  pods: Pod[];
  /** Slices of this Service managed by this controller. */
  existing: Slice[];
  /** The zone label of a node; undefined when the node is unknown (its pods are skipped, as Kubernetes does). */
  nodeZone: (nodeName: string) => { exists: boolean; zone?: string };
  maxEndpointsPerSlice?: number;
}

export interface SliceActions {
  create: Slice[];
  update: Slice[];
  delete: Slice[];
  /** Pods skipped because their Node is not known yet: the Service should be synced again later. */
  missingNodes: boolean;
}

interface Group {
  addressType: 'IPv4' | 'IPv6';
  ports: ResolvedPort[];
  endpoints: Map<string, Endpoint>;
}

const addressKey = (ep: Endpoint) => ep.addresses[0] ?? '';

/** podToEndpoint (endpointslice utils.go). */
export function podToEndpoint(opts: { service: Service; pod: Pod; address: string; zone?: string }): Endpoint {
  const { service, pod } = opts;
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata?.deletionTimestamp;
  const ready = !!service.spec?.publishNotReadyAddresses || (serving && !terminating);
  const ep: Endpoint = { addresses: [opts.address], conditions: { ready, serving, terminating } };
  const hostname = endpointHostname(service, pod);
  if (hostname) ep.hostname = hostname;
  ep.targetRef = podTargetRef(pod);
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  if (opts.zone) ep.zone = opts.zone;
  return ep;
}

/** Labels Kubernetes puts on managed slices: the Service's own, then the controller's. */
export function sliceLabels(service: Service): Record<string, string> {
  const labels: Record<string, string> = { ...(service.metadata?.labels ?? {}) };
  delete labels[headlessLabel];
  if (service.spec?.clusterIP === 'None') labels[headlessLabel] = '';
  labels[serviceNameLabel] = service.metadata?.name ?? '';
  labels[managedByLabel] = controllerName;
  return labels;
}

export function serviceOwnerReference(service: Service & KubeObject) {
  return { apiVersion: 'v1', kind: 'Service', name: service.metadata.name!, uid: service.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

function desiredGroups(input: SliceReconcileInput): { groups: Map<string, Group>; missingNodes: boolean } {
  const { service } = input;
  const families = (service.spec?.ipFamilies?.length ? service.spec.ipFamilies : ['IPv4']) as Array<'IPv4' | 'IPv6'>;
  const groups = new Map<string, Group>();
  let missingNodes = false;
  for (const pod of [...input.pods].sort(byName)) {
    if (!selectsPod(service, pod) || !shouldPodBeInEndpoints(pod, true)) continue;
    let zone: string | undefined;
    if (pod.spec?.nodeName) {
      const node = input.nodeZone(pod.spec.nodeName);
      if (!node.exists) {
        missingNodes = true;
        continue;
      }
      zone = node.zone;
    }
    const ports = resolvePorts(service, pod);
    const pk = portSetKey(ports);
    for (const family of families) {
      const address = podIPs(pod).find((ip) => ipFamilyOf(ip) === family);
      if (!address) continue;
      const key = `${family}|${pk}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { addressType: family, ports, endpoints: new Map() }));
      g.endpoints.set(address, podToEndpoint({ service, pod, address, zone }));
    }
  }
  return { groups, missingNodes };
}

function slicePortsKey(slice: Slice): string {
  const ports = (slice.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port ?? 0, protocol: (p.protocol ?? 'TCP') as ResolvedPort['protocol'], appProtocol: p.appProtocol }));
  return `${slice.addressType}|${portSetKey(ports)}`;
}

function endpointPorts(ports: ResolvedPort[]): EndpointPort[] {
  return ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol, ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) }));
}

const canonical = (ep: Endpoint) =>
  JSON.stringify([ep.addresses, ep.conditions?.ready ?? true, ep.conditions?.serving ?? true, ep.conditions?.terminating ?? false,
    ep.hostname ?? '', ep.nodeName ?? '', ep.zone ?? '', ep.targetRef?.name ?? '', ep.targetRef?.uid ?? '']);

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  const ka = Object.keys(a ?? {});
  return ka.length === Object.keys(b).length && ka.every((k) => a![k] === b[k]);
}

function ownedBy(slice: Slice, service: Service & KubeObject): boolean {
  return (slice.metadata.ownerReferences ?? []).some((r) => r.controller && r.uid === service.metadata.uid);
}

function newSlice(input: SliceReconcileInput, addressType: string, ports: EndpointPort[] | undefined, endpoints: Endpoint[]): Slice {
  const svc = input.service;
  const slice: Slice = {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { generateName: `${svc.metadata.name}-`, namespace: svc.metadata.namespace, labels: sliceLabels(svc), ownerReferences: [serviceOwnerReference(svc)] },
    addressType, endpoints,
  };
  if (ports) slice.ports = ports;
  return slice;
}

/** reconcile: compute the writes that make the slices match the Service and its pods. */
export function reconcileSlices(input: SliceReconcileInput): SliceActions {
  const max = input.maxEndpointsPerSlice ?? defaultMaxEndpointsPerSlice;
  const { groups, missingNodes } = desiredGroups(input);
  const labels = sliceLabels(input.service);
  const actions: SliceActions = { create: [], update: [], delete: [], missingNodes };
  const unchanged: Slice[] = [];
  const kept = new Map<Slice, Endpoint[]>();

  for (const slice of input.existing) {
    const g = groups.get(slicePortsKey(slice));
    if (!g) {
      actions.delete.push(slice);
      continue;
    }
    let changed = !sameLabels(slice.metadata.labels, labels) || !ownedBy(slice, input.service);
    const endpoints: Endpoint[] = [];
    for (const ep of slice.endpoints ?? []) {
      const want = g.endpoints.get(addressKey(ep));
      if (!want || endpoints.length >= max) {
        changed = true;
        continue;
      }
      if (canonical(want) !== canonical(ep)) changed = true;
      endpoints.push(want);
      g.endpoints.delete(addressKey(ep));
    }
    if (endpoints.length === 0) {
      actions.delete.push(slice);
      continue;
    }
    kept.set(slice, endpoints);
    if (changed) actions.update.push(slice);
    else unchanged.push(slice);
  }

  // Endpoints still to place: slices being updated first, then unchanged slices with room, then new ones.
  for (const [key, g] of groups) {
    let rest = [...g.endpoints.values()];
    const sameKey = (s: Slice) => slicePortsKey(s) === key;
    for (const s of actions.update.filter(sameKey)) {
      const eps = kept.get(s)!;
      while (rest.length > 0 && eps.length < max) eps.push(rest.shift()!);
    }
    for (const s of unchanged.filter(sameKey)) {
      if (rest.length === 0) break;
      const eps = kept.get(s)!;
      if (eps.length >= max) continue;
      while (rest.length > 0 && eps.length < max) eps.push(rest.shift()!);
      actions.update.push(s);
    }
    while (rest.length > 0) {
      actions.create.push(newSlice(input, g.addressType, endpointPorts(g.ports), rest.slice(0, max)));
      rest = rest.slice(max);
    }
  }
  actions.update = actions.update.map((s) => ({
    ...s,
    metadata: { ...s.metadata, labels, ownerReferences: [serviceOwnerReference(input.service), ...(s.metadata.ownerReferences ?? []).filter((r) => !r.controller)] },
    endpoints: kept.get(s)!,
  }));
  return withPlaceholder(input, actions, unchanged.length);
}

/** A Service without endpoints keeps one empty slice, as Kubernetes does (placeholder slice). */
function withPlaceholder(input: SliceReconcileInput, actions: SliceActions, unchangedCount: number): SliceActions {
  if (unchangedCount + actions.update.length + actions.create.length > 0) return actions;
  const family = (input.service.spec?.ipFamilies?.[0] ?? 'IPv4') as string;
  const labels = sliceLabels(input.service);
  const reusable = actions.delete.findIndex((s) => !s.ports?.length && (s.endpoints ?? []).length === 0 && s.addressType === family);
  if (reusable >= 0) {
    const [slice] = actions.delete.splice(reusable, 1);
    if (!sameLabels(slice.metadata.labels, labels) || !ownedBy(slice, input.service)) {
      actions.update.push({ ...slice, metadata: { ...slice.metadata, labels, ownerReferences: [serviceOwnerReference(input.service)] } });
    }
    return actions;
  }
  actions.create.push(newSlice(input, family, undefined, []));
  return actions;
}
