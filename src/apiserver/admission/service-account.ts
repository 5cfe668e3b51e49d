import { randomInt } from 'node:crypto';
import type { Container, Pod, Volume } from 'kubernetes-types/core/v1.js';
import { forbidden } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import type { ResourceHooks } from '../registry/hooks.js';

export const serviceAccountMountPath = '/var/run/secrets/kubernetes.io/serviceaccount';
const alphanums = 'bcdfghjklmnpqrstvwxz2456789';

/** The projected volume the ServiceAccount admission plugin adds (plugin/pkg/admission/serviceaccount). */
export function kubeAPIAccessVolume(name: string): Volume {
  return {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}

/**
 * ServiceAccount admission: serviceAccountName defaults to `default`; a named account must exist (the
 * `default` one may still be on its way from the controller in a new namespace, so it is let through);
 * unless automount is off (pod or account), the `kube-api-access-xxxxx` volume is added and mounted
 * read-only at /var/run/secrets/kubernetes.io/serviceaccount in every container that mounts nothing there.
 */
export function serviceAccountHooks(getServiceAccount: (namespace: string, name: string) => Promise<KubeObject | undefined>): ResourceHooks {
  return {
    async beforeCreate(obj) {
      const pod = obj as unknown as Pod & { spec: Record<string, unknown> };
      const spec = (pod.spec ??= {} as never) as NonNullable<Pod['spec']> & { serviceAccount?: string; serviceAccountName?: string; automountServiceAccountToken?: boolean };
      if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || 'default';
      spec.serviceAccount = spec.serviceAccountName;
      const ns = obj.metadata.namespace ?? 'default';
      const sa = await getServiceAccount(ns, spec.serviceAccountName);
      if (!sa && spec.serviceAccountName !== 'default')
        throw forbidden({ group: '', resource: 'pods' }, obj.metadata.name ?? '', `error looking up service account ${ns}/${spec.serviceAccountName}: serviceaccount "${spec.serviceAccountName}" not found`);
      const automount = spec.automountServiceAccountToken ?? (sa as { automountServiceAccountToken?: boolean } | undefined)?.automountServiceAccountToken ?? true;
      if (!automount) return;
      const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as Container[];
      const needs = containers.filter((c) => !(c.volumeMounts ?? []).some((m) => m.mountPath === serviceAccountMountPath));
      if (needs.length === 0) return;
      const volumes = ((spec as { volumes?: Volume[] }).volumes ??= []);
      const existing = volumes.find((v) => v.name.startsWith('kube-api-access-') && v.projected);
      let name = existing?.name;
      if (!name) {
        do name = `kube-api-access-${Array.from({ length: 5 }, () => alphanums[randomInt(alphanums.length)]).join('')}`;
        while (volumes.some((v) => v.name === name));
        volumes.push(kubeAPIAccessVolume(name));
      }
      for (const c of needs) ((c as { volumeMounts?: unknown[] }).volumeMounts ??= []).push({ name, readOnly: true, mountPath: serviceAccountMountPath });
    },
  };
}
