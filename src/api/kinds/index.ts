/**
 * Every kind's ResourceStrategy, keyed by resourceKey (`pods`, `deployments.apps`): adding a kind is
 * its file in this folder plus its line here (and its ResourceInfo in ../resources.ts).
 * The network mode decides one thing here: in skiff's loopback mode every address is in
 * 127.0.0.0/8, so externalIPs and endpoint addresses may be loopback (Kubernetes forbids that).
 */
import type { IPFamily } from '../../util/net.js';
import type { ResourceStrategy } from '../strategy.js';
import { cronJobStrategy } from './cronjob.js';
import { configMapStrategy, secretStrategy } from './config.js';
import { endpointSliceStrategy, endpointsStrategy } from './endpoints.js';
import { ingressClassStrategy, ingressStrategy } from './ingress.js';
import { jobStrategy } from './job.js';
import { ipAddressPoolStrategy } from './ipaddresspool.js';
import { eventStrategy, l2AdvertisementStrategy, leaseStrategy, serviceAccountStrategy } from './misc.js';
import { namespaceStrategy } from './namespace.js';
import { nodeStrategy } from './node.js';
import { podStrategy } from './pod.js';
import { serviceStrategy } from './service.js';
import { controllerRevisionStrategy } from './controllerrevision.js';
import { daemonSetStrategy } from './daemonset.js';
import { statefulSetStrategy } from './statefulset.js';
import { persistentVolumeClaimStrategy, persistentVolumeStrategy, storageClassStrategy } from './storage.js';
import { deploymentStrategy, replicaSetStrategy } from './workloads.js';

export interface StrategyOptions {
  /** Allow 127.0.0.0/8 for externalIPs and endpoint addresses (loopback network mode). Default true. */
  allowLoopbackIPs?: boolean;
  /** The service CIDR's family, used to default Service ipFamilies. Default IPv4. */
  primaryIPFamily?: IPFamily;
  /** --default-not-ready-toleration-seconds (and unreachable): the tolerations pods get. Default 300. */
  defaultTolerationSeconds?: number;
}

export function createStrategies(opts: StrategyOptions = {}): Record<string, ResourceStrategy> {
  const allowLoopbackIPs = opts.allowLoopbackIPs ?? true;
  return {
    namespaces: namespaceStrategy(),
    nodes: nodeStrategy(),
    pods: podStrategy({ defaultTolerationSeconds: opts.defaultTolerationSeconds }),
    services: serviceStrategy({ allowLoopbackIPs, primaryIPFamily: opts.primaryIPFamily }),
    endpoints: endpointsStrategy({ allowLoopbackIPs }),
    events: eventStrategy(),
    configmaps: configMapStrategy(),
    secrets: secretStrategy(),
    serviceaccounts: serviceAccountStrategy(),
    persistentvolumes: persistentVolumeStrategy(),
    persistentvolumeclaims: persistentVolumeClaimStrategy(),
    'storageclasses.storage.k8s.io': storageClassStrategy(),
    'deployments.apps': deploymentStrategy(),
    'replicasets.apps': replicaSetStrategy(),
    'statefulsets.apps': statefulSetStrategy(),
    'daemonsets.apps': daemonSetStrategy(),
    'controllerrevisions.apps': controllerRevisionStrategy(),
    'jobs.batch': jobStrategy(),
    'cronjobs.batch': cronJobStrategy(),
    'endpointslices.discovery.k8s.io': endpointSliceStrategy({ allowLoopbackIPs }),
    'ingresses.networking.k8s.io': ingressStrategy(),
    'ingressclasses.networking.k8s.io': ingressClassStrategy(),
    'leases.coordination.k8s.io': leaseStrategy(),
    'ipaddresspools.metallb.io': ipAddressPoolStrategy(),
    'l2advertisements.metallb.io': l2AdvertisementStrategy(),
  };
}

/** The strategies for the default (loopback, IPv4) cluster. */
export const strategies: Record<string, ResourceStrategy> = createStrategies();

export { poolsOverlap } from './ipaddresspool.js';
