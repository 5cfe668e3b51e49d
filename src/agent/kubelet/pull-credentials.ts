/**
 * The registry credentials for one pod's pull: its imagePullSecrets, then its ServiceAccount's (the
 * ServiceAccount admission plugin would have copied those into the pod), through the API client.
 */
import type { Pod, Secret, ServiceAccount } from 'kubernetes-types/core/v1.js';
import { findResource } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import type { RestClient } from '../../client/rest.js';
import type { RegistryAuth } from '../runtime/cri.js';
import { registryCredentials } from '../images/oci/pull-secrets.js';

export async function podPullCredentials(o: { client: RestClient; pod: Pod; registry: string; secret: (namespace: string, name: string) => Secret | undefined }): Promise<RegistryAuth[]> {
  const ns = o.pod.metadata!.namespace!;
  const names = (o.pod.spec?.imagePullSecrets ?? []).map((r) => r.name ?? '').filter(Boolean);
  const sa = o.pod.spec?.serviceAccountName || 'default';
  const account = await o.client.get<ServiceAccount & KubeObject>(findResource('', 'v1', 'serviceaccounts')!, { namespace: ns, name: sa }).catch(() => undefined);
  for (const r of account?.imagePullSecrets ?? []) if (r.name && !names.includes(r.name)) names.push(r.name);
  const secrets: Secret[] = [];
  for (const name of names) {
    // a Secret made just before the pod may not be in the informer yet
    const s = o.secret(ns, name) ?? (await o.client.get<Secret & KubeObject>(findResource('', 'v1', 'secrets')!, { namespace: ns, name }).catch(() => undefined));
    if (s) secrets.push(s);
  }
  return registryCredentials(secrets, o.registry);
}
