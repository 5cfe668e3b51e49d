/**
 * Bootstrap objects of in-cluster access and storage, made before controllers run so the first pods
 * find them: each system namespace's `default` ServiceAccount and `kube-root-ca.crt` ConfigMap (the
 * controllers keep them for every namespace later), and k3s' default StorageClass `local-path`.
 */
import type { ApiServer } from '../api-server.js';
import { ensure } from '../bootstrap.js';
import { clone } from '../../api/types.js';

export const localPathStorageClass = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
  provisioner: 'rancher.io/local-path',
  reclaimPolicy: 'Delete',
  volumeBindingMode: 'WaitForFirstConsumer',
};

export async function bootstrapAccessAndStorage(server: ApiServer, opts: { rootCAPem: string; namespaces: string[]; defaultStorageClass: boolean }): Promise<void> {
  for (const ns of opts.namespaces) {
    await ensure(server, ['', 'v1', 'serviceaccounts'], ns, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns } });
    await ensure(server, ['', 'v1', 'configmaps'], ns, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kube-root-ca.crt', namespace: ns, annotations: { 'kubernetes.io/description': rootCADescription } },
      data: { 'ca.crt': opts.rootCAPem },
    });
  }
  if (opts.defaultStorageClass) await ensure(server, ['storage.k8s.io', 'v1', 'storageclasses'], undefined, clone(localPathStorageClass));
}

export const rootCADescription =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';
