/** The kubelet's token manager request: a TokenRequest bound to the pod (serviceaccounts/NAME/token). */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { RestClient } from '../../client/rest.js';
import type { TokenRequestResult } from './volume-manager.js';

export async function requestPodToken(client: RestClient, pod: Pod, o: { audience?: string; expirationSeconds: number }): Promise<TokenRequestResult> {
  const ns = pod.metadata!.namespace!;
  const sa = pod.spec?.serviceAccountName || 'default';
  const res = await client.request<{ status?: { token?: string; expirationTimestamp?: string } }>({
    method: 'POST',
    path: `/api/v1/namespaces/${encodeURIComponent(ns)}/serviceaccounts/${encodeURIComponent(sa)}/token`,
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        ...(o.audience ? { audiences: [o.audience] } : {}),
        expirationSeconds: o.expirationSeconds,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata!.name!, uid: pod.metadata!.uid! },
      },
    },
  });
  const token = res.status?.token;
  if (!token) throw new Error('the TokenRequest answer carries no token');
  return { token, expiresAt: res.status?.expirationTimestamp ? Date.parse(res.status.expirationTimestamp) : Date.now() + o.expirationSeconds * 1000 };
}
