/** Service and Pod fixtures for the endpoint controllers' unit tests. */
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../api/types.js';

export function svc(over: Partial<Service['spec']> = {}, name = 'web'): Service & KubeObject {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name, namespace: 'default', uid: 'svc-uid', labels: { team: 'a' } },
    spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }], clusterIP: '10.0.0.5', ipFamilies: ['IPv4'], ...over },
  };
}

export function pod(n: number, over: { ready?: boolean; ip?: string | null; phase?: string; terminating?: boolean; port?: number; node?: string; labels?: Record<string, string> } = {}): Pod & KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: `web-${String(n).padStart(4, '0')}`, namespace: 'default', uid: `uid-${n}`, labels: over.labels ?? { app: 'web' },
      ...(over.terminating ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: { nodeName: over.node ?? 'node-a', containers: [{ name: 'c', image: 'x', ports: [{ name: 'http', containerPort: over.port ?? 8080, protocol: 'TCP' }] }] },
    status: {
      phase: over.phase ?? 'Running',
      ...(over.ip === null ? {} : { podIP: over.ip ?? `10.1.${Math.floor(n / 250)}.${(n % 250) + 2}` }),
      conditions: [{ type: 'Ready', status: over.ready === false ? 'False' : 'True' }],
    },
  };
}

