/**
 * kube-controller-manager's serviceaccount-controller (a `default` ServiceAccount in every namespace)
 * and root-ca-cert-publisher (a `kube-root-ca.crt` ConfigMap with the cluster CA in every namespace),
 * one reconcile per namespace: recreated when deleted, the CA put back when edited.
 */
import type { ConfigMap, Namespace, ServiceAccount } from 'kubernetes-types/core/v1.js';
import { findResource } from '../../api/resources.js';
import { isStatusError } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import { Controller } from '../../client/controller.js';
import { deletedObject, type SharedInformer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { RateLimitingQueue } from '../../client/workqueue.js';

const namespaces = findResource('', 'v1', 'namespaces')!;
const serviceAccounts = findResource('', 'v1', 'serviceaccounts')!;
const configMaps = findResource('', 'v1', 'configmaps')!;
export const rootCAConfigMap = 'kube-root-ca.crt';
const description =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export interface ServiceAccountControllerOptions {
  factory: InformerFactory;
  /** PEM of the CA that signed the API server's certificate; no publishing without it. */
  rootCAPem?: string;
  log?: (message: string) => void;
}

export class ServiceAccountController {
  private readonly queue = new RateLimitingQueue<string>();
  private readonly controller: Controller;
  private readonly ns: SharedInformer<Namespace & KubeObject>;
  private readonly sas: SharedInformer<ServiceAccount & KubeObject>;
  private readonly cms: SharedInformer<ConfigMap & KubeObject>;

  constructor(private readonly opts: ServiceAccountControllerOptions) {
    this.controller = new Controller({ name: 'serviceaccount', queue: this.queue, workers: 1, log: opts.log, reconcile: (k) => this.reconcile(k) });
    this.ns = opts.factory.informerFor(namespaces);
    this.sas = opts.factory.informerFor(serviceAccounts);
    this.cms = opts.factory.informerFor(configMaps);
    const byName = (o: KubeObject) => this.queue.add(o.metadata.name!);
    this.ns.addEventHandler({ onAdd: byName, onUpdate: (_o, n) => byName(n) });
    const byNamespace = (o: KubeObject) => this.queue.add(o.metadata.namespace!);
    this.sas.addEventHandler({ onDelete: (x) => byNamespace(deletedObject(x)) });
    this.cms.addEventHandler({
      onUpdate: (_o, n) => n.metadata.name === rootCAConfigMap && byNamespace(n),
      onDelete: (x) => deletedObject(x).metadata.name === rootCAConfigMap && byNamespace(deletedObject(x)),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.opts.factory.waitForCacheSync(signal))) return;
    await this.controller.run(signal);
  }

  async reconcile(name: string): Promise<void> {
    const ns = this.ns.store.get(name);
    if (!ns || ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') return;
    const client = this.opts.factory.client;
    const ignoreExists = (err: unknown) => {
      // a namespace being deleted refuses new objects: nothing to do
      if (!isStatusError(err, 'AlreadyExists') && !isStatusError(err, 'Forbidden')) throw err;
    };
    if (!this.sas.store.get(`${name}/default`)) {
      await client.create(serviceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } }).catch(ignoreExists);
    }
    const ca = this.opts.rootCAPem;
    if (!ca) return;
    const cm = this.cms.store.get(`${name}/${rootCAConfigMap}`);
    if (!cm) {
      await client
        .create(configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: rootCAConfigMap, namespace: name, annotations: { 'kubernetes.io/description': description } }, data: { 'ca.crt': ca } })
        .catch(ignoreExists);
    } else if (cm.data?.['ca.crt'] !== ca || Object.keys(cm.data ?? {}).length !== 1) {
      await client.patch(configMaps, { namespace: name, name: rootCAConfigMap, type: 'merge', patch: { data: { ...Object.fromEntries(Object.keys(cm.data ?? {}).map((k) => [k, null])), 'ca.crt': ca } } });
    }
  }
}
