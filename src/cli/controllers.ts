import { RestClient } from '../client/rest.js';
import type { LocalConnector } from '../client/transport.js';
import { InformerFactory } from '../client/informer-factory.js';
import { EndpointsController } from '../controllers/endpoints/controller.js';
import { EndpointSliceController } from '../controllers/endpointslice/controller.js';
import { GarbageCollector } from '../controllers/garbagecollector/garbagecollector.js';
import { runControllers, type ControllerDescriptor, type ControllerSettings } from '../controllers/manager.js';
import { LoadBalancerController } from '../controllers/loadbalancer/controller.js';
import { NamespaceController } from '../controllers/namespace/controller.js';
import { DaemonSetController } from '../controllers/daemonset/controller.js';
import { DeploymentController } from '../controllers/deployment/controller.js';
import { NodeIpamController } from '../controllers/nodeipam/controller.js';
import { NodeLifecycleController } from '../controllers/nodelifecycle/controller.js';
import { JobController } from '../controllers/job/controller.js';
import { CronJobController } from '../controllers/cronjob/controller.js';
import { TTLAfterFinishedController } from '../controllers/ttlafterfinished/controller.js';
import { ReplicaSetController } from '../controllers/replicaset/controller.js';
import { Scheduler } from '../controllers/scheduler/scheduler.js';
import { StatefulSetController } from '../controllers/statefulset/controller.js';
import { realClock } from '../util/clock.js';
import { ServiceAccountController } from '../controllers/serviceaccount/controller.js';
import { PersistentVolumeController } from '../controllers/persistentvolume/controller.js';
import { LocalPathProvisioner } from '../controllers/localpath/provisioner.js';
import type { Logger } from './logger.js';

export interface ControllerOptions {
  server: string;
  token: string;
  caPem: string;
  settings: ControllerSettings;
  log: Logger;
  /** The process's shared informers; the controller manager makes its own without. */
  informers?: InformerFactory;
  /** Names of controllers not to run. */
  disabled?: string[];
}

/** The controllers skiff runs in the server process (kube-controller-manager + kube-scheduler). */
export function controllerDescriptors(): ControllerDescriptor[] {
  return [
    { name: 'garbage-collector', init: (ctx) => new GarbageCollector({ factory: ctx.informers, clock: ctx.clock, log: ctx.log }) },
    { name: 'namespace', init: (ctx) => new NamespaceController({ factory: ctx.informers, clock: ctx.clock, log: ctx.log }) },
    { name: 'endpointslice', init: (ctx) => new EndpointSliceController({ factory: ctx.informers, clock: ctx.clock, log: ctx.log }) },
    { name: 'endpoints', init: (ctx) => new EndpointsController({ factory: ctx.informers, clock: ctx.clock, log: ctx.log }) },
    { name: 'loadbalancer', init: (ctx) => new LoadBalancerController({ factory: ctx.informers, recorder: ctx.recorder('metallb-controller'), clock: ctx.clock, log: ctx.log }) },
    { name: 'replicaset', init: (ctx) => new ReplicaSetController({ factory: ctx.informers, recorder: ctx.recorder('replicaset-controller'), clock: ctx.clock, log: ctx.log }) },
    { name: 'deployment', init: (ctx) => new DeploymentController({ factory: ctx.informers, recorder: ctx.recorder('deployment-controller'), clock: ctx.clock, log: ctx.log }) },
    { name: 'daemonset', init: (ctx) => new DaemonSetController({ factory: ctx.informers, recorder: ctx.recorder('daemonset-controller'), clock: ctx.clock, log: ctx.log }) },
    { name: 'statefulset', init: (ctx) => new StatefulSetController({ factory: ctx.informers, recorder: ctx.recorder('statefulset-controller'), clock: ctx.clock, log: ctx.log }) },
    { name: 'scheduler', init: (ctx) => new Scheduler({ factory: ctx.informers, recorder: ctx.recorder('default-scheduler'), clock: ctx.clock, log: ctx.log }) },
    { name: 'node-ipam', init: (ctx) => new NodeIpamController({ factory: ctx.informers, recorder: ctx.recorder('node-controller'), clusterCIDR: ctx.settings.clusterCIDR ?? '127.42.0.0/16', log: ctx.log }) },
    {
      name: 'node-lifecycle',
      init: (ctx) => new NodeLifecycleController({ factory: ctx.informers, recorder: ctx.recorder('node-controller'), clock: ctx.clock, nodeMonitorGracePeriodMs: ctx.settings.nodeMonitorGracePeriodMs, log: ctx.log }),
    },
    { name: 'job', init: (ctx) => new JobController({ factory: ctx.informers, recorder: ctx.recorder('job-controller'), clock: ctx.clock, log: ctx.log }) },
    { name: 'cronjob', init: (ctx) => new CronJobController({ factory: ctx.informers, recorder: ctx.recorder('cronjob-controller'), clock: ctx.clock, log: ctx.log }) },
    { name: 'ttl-after-finished', init: (ctx) => new TTLAfterFinishedController({ factory: ctx.informers, clock: ctx.clock, log: ctx.log }) },
    { name: 'serviceaccount', init: (ctx) => new ServiceAccountController({ factory: ctx.informers, rootCAPem: ctx.settings.rootCAPem, log: ctx.log }) },
    { name: 'persistentvolume-binder', init: (ctx) => new PersistentVolumeController({ factory: ctx.informers, recorder: ctx.recorder('persistentvolume-controller'), log: ctx.log }) },
    {
      name: 'local-path-provisioner',
      init: (ctx) => new LocalPathProvisioner({ factory: ctx.informers, recorder: ctx.recorder('rancher.io/local-path_local-path-provisioner'), dir: ctx.settings.localPathDir ?? 'storage', log: ctx.log }),
    },
    // further controllers register here
  ];
}

/** kube-controller-manager's API client (token + CA), the one the server's shared informers use too. */
export function controllerManagerClient(o: { server: string; token: string; caPem: string; local?: LocalConnector }): RestClient {
  return new RestClient({ server: o.server, token: o.token, caData: o.caPem, local: o.local, userAgent: 'skiff-controller-manager/v1.32.4' });
}

/** Starts the in-process controller manager against the API server, through the client only. */
export async function startControllers(opts: ControllerOptions): Promise<{ stop(): Promise<void> }> {
  const log = (m: string) => opts.log.debug(m);
  const informers = opts.informers ?? new InformerFactory({ client: controllerManagerClient(opts), clock: realClock, log });
  const client = informers.client;
  const abort = new AbortController();
  const descriptors = controllerDescriptors().filter((d) => !opts.disabled?.includes(d.name));
  const running = await runControllers({ client, informers, clock: realClock, log, settings: opts.settings }, descriptors, abort.signal);
  return {
    async stop() {
      abort.abort();
      await running.done;
    },
  };
}
