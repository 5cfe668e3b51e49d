/** printService from pkg/printers/internalversion/printers.go (always wide, as the API server prints). */
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../types.js';
import type { TablePrinter } from '../table.js';
import { doc } from './descriptions.js';
import { translateTimestampSince } from './duration.js';
import { ageColumn, column, formatLabels, loadBalancerIngressString, nameColumn } from './format.js';

/** spec.type, defaulted to ClusterIP on decode. */
function serviceType(svc: Service): string {
  return svc.spec?.type || 'ClusterIP';
}

/** getServiceExternalIP */
export function serviceExternalIP(svc: Service): string {
  const externalIPs = svc.spec?.externalIPs ?? [];
  switch (serviceType(svc)) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lbIps = loadBalancerIngressString(svc.status?.loadBalancer?.ingress);
      if (externalIPs.length > 0) {
        const results = lbIps.length > 0 ? lbIps.split(',') : [];
        return [...results, ...externalIPs].join(',');
      }
      return lbIps.length > 0 ? lbIps : '<pending>';
    }
    case 'ExternalName':
      return svc.spec?.externalName ?? '';
  }
  return '<unknown>';
}

/** makePortString: `80/TCP`, `443:30080/TCP`, comma-joined. */
export function makePortString(ports: readonly ServicePort[] | undefined): string {
  return (ports ?? [])
    // protocol is defaulted to TCP on decode
    .map((p) => ((p.nodePort ?? 0) > 0 ? `${p.port}:${p.nodePort}/${p.protocol || 'TCP'}` : `${p.port}/${p.protocol || 'TCP'}`))
    .join(',');
}

export const servicePrinter: TablePrinter = {
  columns: [
    nameColumn(),
    column('Type', 'string', doc['ServiceSpec.type']),
    column('Cluster-IP', 'string', doc['ServiceSpec.clusterIP']),
    column('External-IP', 'string', doc['ServiceSpec.externalIPs']),
    column('Port(s)', 'string', doc['ServiceSpec.ports']),
    ageColumn(),
    column('Selector', 'string', doc['ServiceSpec.selector'], { priority: 1 }),
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const svc = obj as unknown as Service;
    // Kubernetes normalises clusterIP into clusterIPs on write; accept an object that only has clusterIP.
    const clusterIPs = svc.spec?.clusterIPs?.length ? svc.spec.clusterIPs : svc.spec?.clusterIP ? [svc.spec.clusterIP] : [];
    const ports = makePortString(svc.spec?.ports);
    return [
      svc.metadata?.name ?? '',
      serviceType(svc),
      clusterIPs.length > 0 ? clusterIPs[0] : '<none>',
      serviceExternalIP(svc),
      ports.length === 0 ? '<none>' : ports,
      translateTimestampSince(svc.metadata?.creationTimestamp, now),
      formatLabels(svc.spec?.selector),
    ];
  },
};
