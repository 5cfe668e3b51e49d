/**
 * Every kind's ResourceStrategy, keyed `group/Kind` (`/Pod` for the core group).
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
}

export function strategyKey(group: string, kind: string): string {
  return `${group}/${kind}`;
}

export function createStrategies(opts: StrategyOptions = {}): Record<string, ResourceStrategy> {
  const allowLoopbackIPs = opts.allowLoopbackIPs ?? true;
  return {
    '/Namespace': namespaceStrategy(),
    '/Node': nodeStrategy(),
    '/Pod': podStrategy(),
    '/Service': serviceStrategy({ allowLoopbackIPs, primaryIPFamily: opts.primaryIPFamily }),
    '/Endpoints': endpointsStrategy({ allowLoopbackIPs }),
    '/Event': eventStrategy(),
    '/ConfigMap': configMapStrategy(),
    '/Secret': secretStrategy(),
    '/ServiceAccount': serviceAccountStrategy(),
    '/PersistentVolume': persistentVolumeStrategy(),
    '/PersistentVolumeClaim': persistentVolumeClaimStrategy(),
    'storage.k8s.io/StorageClass': storageClassStrategy(),
    'apps/Deployment': deploymentStrategy(),
    'apps/ReplicaSet': replicaSetStrategy(),
    'apps/StatefulSet': statefulSetStrategy(),
    'apps/DaemonSet': daemonSetStrategy(),
    'apps/ControllerRevision': controllerRevisionStrategy(),
    'batch/Job': jobStrategy(),
    'batch/CronJob': cronJobStrategy(),
    'discovery.k8s.io/EndpointSlice': endpointSliceStrategy({ allowLoopbackIPs }),
    'networking.k8s.io/Ingress': ingressStrategy(),
    'networking.k8s.io/IngressClass': ingressClassStrategy(),
    'coordination.k8s.io/Lease': leaseStrategy(),
    'metallb.io/IPAddressPool': ipAddressPoolStrategy(),
    'metallb.io/L2Advertisement': l2AdvertisementStrategy(),
  };
}

/** The strategies for the default (loopback, IPv4) cluster. */
export const strategies: Record<string, ResourceStrategy> = createStrategies();

export { poolsOverlap } from './ipaddresspool.js';
