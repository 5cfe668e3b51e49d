/**
 * What the web view shows of the API: informers (src/client) on the kinds of the map, each object cut
 * down to the fields drawn, and every change reported to listeners (batched by the server into pushes).
 */
import type { KubeObject } from '../api/types.js';
import type { InformerFactory } from '../client/informer-factory.js';
import { deletedObject, type SharedInformer } from '../client/informer.js';
import type { ResourceType } from '../client/rest.js';
import { serviceNameLabel } from '../api/kinds/endpoints.js';
import { metaNamespaceKey } from '../client/store.js';

export type ViewKind = 'nodes' | 'pods' | 'services' | 'endpointslices' | 'ingresses' | 'deployments' | 'replicasets' | 'events';

export const viewResources: Record<ViewKind, ResourceType> = {
  nodes: { group: '', version: 'v1', resource: 'nodes', namespaced: false },
  pods: { group: '', version: 'v1', resource: 'pods', namespaced: true },
  services: { group: '', version: 'v1', resource: 'services', namespaced: true },
  endpointslices: { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', namespaced: true },
  ingresses: { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses', namespaced: true },
  deployments: { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true },
  replicasets: { group: 'apps', version: 'v1', resource: 'replicasets', namespaced: true },
  events: { group: '', version: 'v1', resource: 'events', namespaced: true },
};

export interface ObjectChange {
  kind: ViewKind;
  /** `namespace/name` (or `name` for nodes). */
  key: string;
  /** The trimmed object; null when deleted. */
  obj: Record<string, unknown> | null;
}

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const meta = (o: Any) => ({ name: o.metadata?.name, namespace: o.metadata?.namespace, uid: o.metadata?.uid });

/** Only what the view draws, so pushes stay small and no Secret-like data leaves the server. */
export function trim(kind: ViewKind, o: Any): Record<string, unknown> {
  switch (kind) {
    case 'nodes': {
      const ready = (o.status?.conditions ?? []).find((c: Any) => c.type === 'Ready');
      return { ...meta(o), ready: ready?.status === 'True', addresses: (o.status?.addresses ?? []).map((a: Any) => a.address), podCIDR: o.spec?.podCIDR };
    }
    case 'pods': {
      const statuses: Any[] = o.status?.containerStatuses ?? [];
      const ready = (o.status?.conditions ?? []).find((c: Any) => c.type === 'Ready');
      const waiting = statuses.map((s) => s.state?.waiting?.reason).find(Boolean);
      const owner = (o.metadata?.ownerReferences ?? []).find((r: Any) => r.controller);
      return {
        ...meta(o), labels: o.metadata?.labels ?? {}, node: o.spec?.nodeName ?? '', ip: o.status?.podIP ?? '', phase: o.status?.phase ?? 'Pending',
        ready: ready?.status === 'True', restarts: statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0), reason: waiting ?? '',
        deleting: !!o.metadata?.deletionTimestamp, owner: owner ? { kind: owner.kind, name: owner.name } : undefined,
        hostname: o.spec?.hostname, subdomain: o.spec?.subdomain,
      };
    }
    case 'services':
      return {
        ...meta(o), type: o.spec?.type ?? 'ClusterIP', clusterIP: o.spec?.clusterIP ?? '', selector: o.spec?.selector,
        ports: (o.spec?.ports ?? []).map((p: Any) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP', targetPort: p.targetPort, nodePort: p.nodePort })),
        externalIPs: o.spec?.externalIPs ?? [], lbIPs: (o.status?.loadBalancer?.ingress ?? []).map((i: Any) => i.ip ?? i.hostname),
        externalName: o.spec?.externalName, sessionAffinity: o.spec?.sessionAffinity ?? 'None',
        externalTrafficPolicy: o.spec?.externalTrafficPolicy, internalTrafficPolicy: o.spec?.internalTrafficPolicy,
      };
    case 'endpointslices':
      return {
        ...meta(o), service: o.metadata?.labels?.[serviceNameLabel] ?? '', addressType: o.addressType,
        ports: (o.ports ?? []).map((p: Any) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
        endpoints: (o.endpoints ?? []).map((e: Any) => ({
          addresses: e.addresses ?? [], ready: e.conditions?.ready !== false, serving: e.conditions?.serving !== false, terminating: e.conditions?.terminating === true,
          node: e.nodeName, hostname: e.hostname, pod: e.targetRef?.kind === 'Pod' ? e.targetRef.name : undefined,
        })),
      };
    case 'ingresses':
      return {
        ...meta(o), className: o.spec?.ingressClassName, lbIPs: (o.status?.loadBalancer?.ingress ?? []).map((i: Any) => i.ip ?? i.hostname),
        defaultBackend: o.spec?.defaultBackend?.service ? { service: o.spec.defaultBackend.service.name, port: o.spec.defaultBackend.service.port?.number ?? o.spec.defaultBackend.service.port?.name } : undefined,
        rules: (o.spec?.rules ?? []).flatMap((r: Any) => (r.http?.paths ?? []).map((p: Any) => ({
          host: r.host ?? '*', path: p.path ?? '/', pathType: p.pathType, service: p.backend?.service?.name, port: p.backend?.service?.port?.number ?? p.backend?.service?.port?.name,
        }))),
        tls: (o.spec?.tls ?? []).flatMap((t: Any) => t.hosts ?? []),
      };
    case 'deployments':
      return { ...meta(o), replicas: o.spec?.replicas ?? 1, ready: o.status?.readyReplicas ?? 0, available: o.status?.availableReplicas ?? 0, selector: o.spec?.selector?.matchLabels ?? {} };
    case 'replicasets': {
      const owner = (o.metadata?.ownerReferences ?? []).find((r: Any) => r.controller);
      return { ...meta(o), deployment: owner?.kind === 'Deployment' ? owner.name : undefined, replicas: o.spec?.replicas ?? 0 };
    }
    case 'events':
      return {
        ...meta(o), type: o.type, reason: o.reason, message: o.message, count: o.count ?? 1,
        involved: { kind: o.involvedObject?.kind, name: o.involvedObject?.name, namespace: o.involvedObject?.namespace },
        time: o.lastTimestamp ?? o.eventTime ?? o.metadata?.creationTimestamp,
      };
  }
}

/** The cluster as the view sees it; `onChange` fires once per object change. */
export class ClusterModel {
  private readonly informers = new Map<ViewKind, SharedInformer<KubeObject>>();
  private readonly listeners = new Set<(c: ObjectChange) => void>();

  /** `watched`: whether anyone looks now; changes meanwhile are not trimmed (a page starts from a snapshot). */
  constructor(factory: InformerFactory, private readonly watched: () => boolean) {
    for (const kind of Object.keys(viewResources) as ViewKind[]) {
      const inf = factory.informerFor<KubeObject>(viewResources[kind]);
      this.informers.set(kind, inf);
      const emit = (o: KubeObject, gone: boolean) => {
        if (this.listeners.size === 0 || !this.watched()) return;
        const change: ObjectChange = { kind, key: metaNamespaceKey(o), obj: gone ? null : trim(kind, o) };
        for (const l of this.listeners) l(change);
      };
      inf.addEventHandler({
        onAdd: (o) => emit(o, false),
        onUpdate: (_old, o) => emit(o, false),
        onDelete: (o) => emit(deletedObject(o), true),
      });
    }
  }

  onChange(l: (c: ObjectChange) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Every object now, trimmed, by kind (events: the newest 300). */
  snapshot(): Record<ViewKind, Record<string, unknown>[]> {
    const out = {} as Record<ViewKind, Record<string, unknown>[]>;
    for (const [kind, inf] of this.informers) {
      let items = inf.store.list();
      if (kind === 'events') items = items.slice(-300);
      out[kind] = items.map((o) => trim(kind, o));
    }
    return out;
  }

  /** The raw cached object (for DNS records and actions). */
  get(kind: ViewKind, key: string): Any | undefined {
    const inf = this.informers.get(kind);
    return inf?.store.get(key) as Any | undefined;
  }

  list(kind: ViewKind): Any[] {
    return (this.informers.get(kind)?.store.list() ?? []) as Any[];
  }

  synced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced());
  }
}
