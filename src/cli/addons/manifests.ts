/**
 * netns mode's packaged add-ons, as kubeadm deploys CoreDNS: Deployment kube-system/coredns (2 replicas,
 * k8s-app=kube-dns) behind the kube-dns Service (selector k8s-app=kube-dns, ClusterIP --cluster-dns) running
 * the built-in image `skiff/dns`. Created when missing; what a user changed is left alone.
 */
import type { KubeObject } from '../../api/types.js';
import { isStatusError } from '../../api/status.js';
import type { RestClient, ResourceType } from '../../client/rest.js';
import { kubeDNSService } from '../dns.js';

export const addonSecretName = 'skiff-addons';
const fieldManager = 'skiff-addons';

const R = {
  secrets: { group: '', version: 'v1', resource: 'secrets', namespaced: true },
  services: { group: '', version: 'v1', resource: 'services', namespaced: true },
  serviceaccounts: { group: '', version: 'v1', resource: 'serviceaccounts', namespaced: true },
  deployments: { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true },
} satisfies Record<string, ResourceType>;

export interface AddonSettings {
  /** The API server as pods reach it: https://<host end IP>:<port>. */
  apiServer: string;
  token: string;
  clusterDNS: string;
  clusterDomain: string;
}

export function addonSecret(s: AddonSettings): KubeObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: addonSecretName, namespace: 'kube-system' }, type: 'Opaque', stringData: { token: s.token, server: s.apiServer } } as KubeObject;
}

export function kubeDNSSelectorService(s: AddonSettings): KubeObject {
  const svc = kubeDNSService(s.clusterDNS);
  return { ...svc, spec: { ...svc.spec, selector: { 'k8s-app': 'kube-dns' } } } as unknown as KubeObject;
}

const fromSecret = (name: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: addonSecretName, key } } });

export function coreDNSDeployment(s: AddonSettings): KubeObject {
  const labels = { 'k8s-app': 'kube-dns' };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'coredns', namespace: 'kube-system', labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels },
        spec: {
          dnsPolicy: 'Default',
          serviceAccountName: 'coredns',
          tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }, { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
          containers: [{
            name: 'coredns',
            image: 'skiff/dns:latest',
            env: [fromSecret('SKIFF_API_SERVER', 'server'), fromSecret('SKIFF_TOKEN', 'token'), { name: 'CLUSTER_DNS', value: s.clusterDNS }, { name: 'CLUSTER_DOMAIN', value: s.clusterDomain }],
            ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' }, { name: 'metrics', containerPort: 9153, protocol: 'TCP' }],
            livenessProbe: { httpGet: { path: '/health', port: 8080 }, initialDelaySeconds: 60, periodSeconds: 10, failureThreshold: 5 },
            readinessProbe: { httpGet: { path: '/ready', port: 8181 }, periodSeconds: 2 },
          }],
        },
      },
    },
  } as KubeObject;
}

async function ensure(client: RestClient, info: ResourceType, obj: KubeObject): Promise<void> {
  try {
    await client.get(info, { namespace: obj.metadata.namespace, name: obj.metadata.name! });
  } catch (err) {
    if (!isStatusError(err, 'NotFound')) throw err;
    await client.create(info, obj, { fieldManager });
  }
}

/** The ingress controller as a pod (one replica: it keeps skiff-ingress's EndpointSlice pointing at itself). */
export function ingressDeployment(): KubeObject {
  const labels = { 'app.kubernetes.io/name': 'skiff-ingress-controller' };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'skiff-ingress-controller', namespace: 'kube-system', labels },
    spec: {
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }, { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
          containers: [{
            name: 'controller',
            image: 'skiff/ingress:latest',
            env: [fromSecret('SKIFF_API_SERVER', 'server'), fromSecret('SKIFF_TOKEN', 'token')],
            ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }, { name: 'https', containerPort: 443, protocol: 'TCP' }],
            readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 2 },
          }],
        },
      },
    },
  } as KubeObject;
}

export async function ensureIngressAddon(client: RestClient, s: AddonSettings): Promise<void> {
  await ensureSecret(client, s);
  await ensure(client, R.deployments, ingressDeployment());
}

async function ensureSecret(client: RestClient, s: AddonSettings): Promise<void> {
  const secret = addonSecret(s);
  try {
    const have = await client.get(R.secrets, { namespace: 'kube-system', name: addonSecretName });
    await client.update(R.secrets, { ...secret, metadata: { ...secret.metadata, resourceVersion: have.metadata.resourceVersion } }, { fieldManager });
  } catch (err) {
    if (!isStatusError(err, 'NotFound')) throw err;
    await client.create(R.secrets, secret, { fieldManager });
  }
}

/** CoreDNS as pods (netns mode). The Secret is kept current (the token or server address may change). */
export async function ensureDNSAddon(client: RestClient, s: AddonSettings): Promise<void> {
  await ensureSecret(client, s);
  await ensure(client, R.serviceaccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'coredns', namespace: 'kube-system' } });
  await ensure(client, R.services, kubeDNSSelectorService(s));
  await ensure(client, R.deployments, coreDNSDeployment(s));
}
