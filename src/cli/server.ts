import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ApiServer } from '../apiserver/api-server.js';
import { bootstrapCluster, ensure } from '../apiserver/bootstrap.js';
import { skiffIngressClass } from '../ingress/ingress-class.js';
import { createPodConnect } from '../apiserver/connect/pod-connect.js';
import { Compactor } from '../apiserver/compactor.js';
import { realClock } from '../util/clock.js';
import { createApiWiring } from '../apiserver/wiring.js';
import { nthIP, parseCIDR } from '../util/net.js';
import { loadOrCreateEncryptionConfig, transformerFor, type ValueTransformer } from '../apiserver/registry/encryption.js';
import { secureDataDir, secureDir } from '../storage/file-modes.js';
import { loadOrCreateCredentials } from './credentials.js';
import { openDatastore } from './datastore.js';
import { defaultLBPool, ensureDefaultLBPool } from './lb-pool.js';
import { defaultProxyScheduler, startProxy } from './proxy.js';
import type { SchedulerName } from '../proxy/schedulers/index.js';
import { hostname } from 'node:os';
import { mergeIntoDefaultKubeconfig, writeKubeconfig } from './kubeconfig.js';
import { controllerManagerClient, startControllers } from './controllers.js';
import { InformerFactory } from '../client/informer-factory.js';
import { parseGoDuration } from '../agent/duration.js';
import { clusterDNSClient, startClusterDNS, type RunningClusterDNS } from './dns.js';
import { startIngressController, type RunningIngress } from './ingress.js';
import { RestClient } from '../client/rest.js';
import type { Logger } from './logger.js';
import { startNodeAgents } from './agents.js';
import { nodeRegistries } from '../agent/images/oci/registries.js';
import type { ContainerRuntimeFlag } from './node-runtime.js';
import { defaultProxyMetricsPort, defaultUIPort, startMetrics, startUI } from './ui.js';
import { chooseNetwork, loopbackFlag, networkLine, type NetworkFlag } from './network.js';
import { netnsAddresses, startNetnsHost, startNetnsNodes, type NetnsHost } from './netns-server.js';
import type { PortMapping } from './port-forwarder.js';
import { ensureDNSAddon, ensureIngressAddon } from './addons/manifests.js';
import { TokenSigner } from '../apiserver/auth/jwt.js';
import { ServiceAccountTokens } from '../apiserver/auth/service-account.js';
import { bootstrapAccessAndStorage } from '../apiserver/auth/bootstrap.js';

/** `skiff server` flags, named as k3s names them. */
export interface ServerOptions {
  dataDir: string;
  httpsListenPort: number;
  bindAddress: string;
  writeKubeconfig?: string;
  datastoreEndpoint?: string;
  /** Defaults depend on the network mode (serverDefaults for loopback, netnsDefaults for netns). */
  serviceCidr?: string;
  clusterCidr?: string;
  /** --network auto|loopback|netns (auto by default). */
  network?: NetworkFlag;
  /** netns mode: the bridge subnet of the node IPs (10.41.0.0/24). */
  nodeCidr?: string;
  /** netns mode: C of skiff-C / skf-C (default from the data dir). */
  clusterName?: string;
  /** netns mode: NodePorts also served on 127.0.0.1 (kind's extraPortMappings). */
  portMapping?: PortMapping[];
  /** kube-proxy's --proxy-mode, passed to the node agents. */
  proxyMode?: string;
  /** --container-runtime, passed to the node agents. */
  containerRuntime?: ContainerRuntimeFlag;
  /** --private-registry FILE (k3s' registries.yaml), passed to the node agents. */
  privateRegistry?: string;
  /** --disable-default-registry-endpoint, passed to the node agents. */
  disableDefaultRegistryEndpoint?: boolean;
  clusterDns?: string;
  clusterDomain: string;
  serviceNodePortRange: string;
  token?: string;
  /** --secrets-encryption: Secrets encrypted at rest with an aescbc key kept in the data dir (k3s). */
  secretsEncryption?: boolean;
  /** Also bind the cluster DNS IP:53 directly (without the proxy carrying it to the DNS server). */
  dnsListenDirect?: boolean;
  /** IPAddressPool kube-system/skiff-default (comma-separated CIDRs/ranges); '' creates none. */
  lbPool?: string;
  /** Userspace proxy scheduler (--proxy-scheduler). */
  proxyScheduler?: SchedulerName;
  /** In-process node agents (--nodes; 1 by default, 0 with --disable-agent). */
  nodes?: number;
  disableAgent?: boolean;
  nodeName?: string;
  nodeIp?: string;
  kubeletPort?: number;
  /** Packaged components not to run (k3s' --disable): `traefik` or `ingress` stops the ingress controller. */
  disable?: string[];
  /** Node lifecycle (kube-controller-manager's flag): Go duration, default 40s. */
  nodeMonitorGracePeriod?: string;
  /** kube-apiserver's flag: tolerationSeconds of the default not-ready/unreachable tolerations. */
  defaultNotReadyTolerationSeconds?: number;
  /** The web view's port on 127.0.0.1 (`--ui-port`; `--disable ui` turns it off). */
  uiPort?: number;
  /** kube-proxy's metrics port (/metrics) on the first node IP; 0 turns it off. */
  proxyMetricsPort?: number;
  verbose: boolean;
}

export const serverDefaults = {
  dataDir: join(homedir(), '.skiff'),
  httpsListenPort: 6443,
  bindAddress: '127.0.0.1',
  // k3s uses 10.42/16 and 10.43/16; loopback mode keeps every address inside 127.0.0.0/8
  clusterCidr: '127.42.0.0/16',
  serviceCidr: '127.43.0.0/16',
  clusterDomain: 'cluster.local',
  serviceNodePortRange: '30000-32767',
  lbPool: defaultLBPool,
  proxyScheduler: defaultProxyScheduler,
};

export interface RunningServer {
  port: number;
  kubeconfigPath: string;
  /** How to point kubectl at this cluster, for the one line `skiff server` prints. */
  kubectlHint: string;
  /** The web view's login URL (token in the fragment), when it runs. */
  uiURL?: string;
  stop(): Promise<void>;
}

/** Starts the control plane: datastore, API server, bootstrap objects, controllers. */
export async function runServer(given: ServerOptions, log: Logger): Promise<RunningServer> {
  const dataDir = resolve(given.dataDir);
  secureDataDir(dataDir);
  // a bad registries.yaml stops the start here, before anything is made, in both network modes (a netns
  // node agent, a process of its own, would meet it only after the cluster was up)
  if (!given.disableAgent) nodeRegistries({ file: given.privateRegistry, dataDir });
  const network = await chooseNetwork(given.network ?? 'auto', {
    loopbackHint: loopbackFlag([['--cluster-cidr', given.clusterCidr], ['--service-cidr', given.serviceCidr], ['--lb-pool', given.lbPool], ['--node-ip', given.nodeIp === '127.0.0.1' ? undefined : given.nodeIp]]),
  });
  log.info(networkLine(network));
  const netnsAddrs = network.mode === 'netns' ? netnsAddresses({ ...given, dataDir }) : undefined;
  const opts = {
    ...given,
    clusterCidr: netnsAddrs?.clusterCidr ?? given.clusterCidr ?? serverDefaults.clusterCidr,
    serviceCidr: netnsAddrs?.serviceCidr ?? given.serviceCidr ?? serverDefaults.serviceCidr,
    lbPool: netnsAddrs?.lbPool ?? given.lbPool ?? serverDefaults.lbPool,
  };
  let netnsHost: NetnsHost | undefined;
  if (netnsAddrs) {
    const nodes = opts.disableAgent ? 0 : (opts.nodes ?? 1);
    netnsHost = await startNetnsHost({ addresses: netnsAddrs, nodes, dataDir, log });
    // host services (DNS, ingress) on the host end IP, reachable from every node and pod
    opts.nodeIp = netnsHost.hostIP;
  }
  try {
    return await startControlPlane(opts, dataDir, log, netnsHost);
  } catch (err) {
    await netnsHost?.stop().catch((e: Error) => log.error(`netns cleanup: ${e.message}`));
    throw err;
  }
}

async function startControlPlane(opts: ServerOptions & { clusterCidr: string; serviceCidr: string }, dataDir: string, log: Logger, netnsHost: NetnsHost | undefined): Promise<RunningServer> {
  const serviceNet = parseCIDR(opts.serviceCidr);
  if (!serviceNet) throw new Error(`--service-cidr: invalid CIDR "${opts.serviceCidr}"`);
  const kubernetesServiceIP = nthIP(serviceNet, 1);
  const clusterDns = opts.clusterDns ?? nthIP(serviceNet, 10);
  const nodeMonitorGracePeriodMs = parseGoDuration(opts.nodeMonitorGracePeriod ?? '40s');
  if (nodeMonitorGracePeriodMs === undefined || nodeMonitorGracePeriodMs <= 0) throw new Error(`--node-monitor-grace-period: invalid duration "${opts.nodeMonitorGracePeriod}"`);
  const tolerationSeconds = opts.defaultNotReadyTolerationSeconds ?? 300;
  if (!Number.isInteger(tolerationSeconds) || tolerationSeconds < 0) throw new Error(`--default-not-ready-toleration-seconds: must be a non-negative integer`);
  const { store, description } = await openDatastore(opts.datastoreEndpoint, dataDir);
  let transformer: ValueTransformer | undefined;
  if (opts.secretsEncryption) {
    secureDir(join(dataDir, 'server', 'cred'));
    transformer = transformerFor(loadOrCreateEncryptionConfig(join(dataDir, 'server', 'cred', 'encryption-config.json')));
    log.debug('secrets encryption: aescbc');
  }
  log.debug(`datastore: ${description}`);
  const advertise = opts.bindAddress === '0.0.0.0' ? '127.0.0.1' : opts.bindAddress;
  const creds = await loadOrCreateCredentials({
    dataDir,
    token: opts.token,
    ips: [...new Set(['127.0.0.1', advertise, kubernetesServiceIP, ...(netnsHost ? [netnsHost.hostIP] : [])])],
    dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${opts.clusterDomain}`],
  });
  // --service-account-signing-key-file and --service-account-issuer (k3s' values)
  const signer = TokenSigner.loadOrCreate(join(dataDir, 'server', 'tls', 'service.key'));
  const issuer = `https://kubernetes.default.svc.${opts.clusterDomain}`;
  const wiring = createApiWiring({ serviceCIDR: opts.serviceCidr, nodePortRange: opts.serviceNodePortRange, defaultTolerationSeconds: tolerationSeconds, log: (m) => log.info(m) });
  const api: ApiServer = new ApiServer({
    store,
    tls: creds.serving,
    tokens: [creds.token],
    strategies: wiring.strategies,
    hooks: wiring.hooks,
    transformer,
    // logs/exec/attach/portforward: proxied to the pod's kubelet with the cluster token
    connect: createPodConnect({ token: creds.token, storage: (g, v, r) => api.storage(g, v, r), log: (m) => log.debug(m) }),
    caPem: creds.ca.certPem,
    serviceAccountTokens: new ServiceAccountTokens({ signer, issuer, clock: realClock, storage: (g, v, r) => api.storage(g, v, r) }),
    log: (m) => log.debug(m),
  });
  await wiring.restore(api);
  const compactor = new Compactor({ store, clock: realClock, log: (m) => log.debug(m) });
  compactor.start();
  const port = await api.listen(opts.httpsListenPort, opts.bindAddress);
  const server = `https://${advertise}:${port}`;
  const entry = { name: 'skiff', server, caPem: creds.ca.certPem, token: creds.token };
  // the server's own clients (controllers, proxy, DNS, ingress, web view) reach the API in memory
  const local = api.localConnector();
  const kubeconfigPath = opts.writeKubeconfig ? resolve(opts.writeKubeconfig) : join(homedir(), '.kube', 'config');
  if (opts.writeKubeconfig) await writeKubeconfig(kubeconfigPath, entry);
  else await mergeIntoDefaultKubeconfig(entry, kubeconfigPath);
  await writeKubeconfig(join(dataDir, 'server', 'cred', 'admin.kubeconfig'), entry);
  const disabled = new Set(opts.disable ?? []);
  // the built-in MetalLB reads pools from any namespace; its usual one exists as after MetalLB's install
  const extraNamespaces = disabled.has('servicelb') ? [] : ['metallb-system'];
  // netns mode: pods reach the API server on the host end IP (the kubernetes Service's endpoint)
  await bootstrapCluster(api, { kubernetesServiceIP, advertiseAddress: netnsHost?.hostIP ?? advertise, securePort: port, extraNamespaces });
  await bootstrapAccessAndStorage(api, { rootCAPem: creds.ca.certPem, namespaces: ['default', 'kube-system', 'kube-public', 'kube-node-lease', ...extraNamespaces], defaultStorageClass: !disabled.has('local-storage') });
  // the default IngressClass before the server says ready: an Ingress made at once gets its class (in netns
  // mode the controller is a pod that starts seconds later; it finds the class there)
  if (!disabled.has('traefik') && !disabled.has('ingress')) await ensure(api, ['networking.k8s.io', 'v1', 'ingressclasses'], undefined, skiffIngressClass());
  await ensureDefaultLBPool(api, opts.lbPool ?? defaultLBPool, (m) => log.info(m));
  // One informer per resource for the whole process (controllers, proxy, DNS, ingress, web view), stopped
  // with the server: each component's own stop leaves the shared caches to the others.
  const processAbort = new AbortController();
  const informers = new InformerFactory({ client: controllerManagerClient({ server, token: creds.token, caPem: creds.ca.certPem, local }), clock: realClock, log: (m) => log.debug(m), signal: processAbort.signal });
  const controllers = await startControllers({
    server,
    token: creds.token,
    caPem: creds.ca.certPem,
    log,
    informers,
    settings: { clusterDns, serviceCIDR: opts.serviceCidr, clusterCIDR: opts.clusterCidr, nodeMonitorGracePeriodMs, podEvictionTimeoutMs: tolerationSeconds * 1000, rootCAPem: creds.ca.certPem, localPathDir: join(dataDir, 'storage') },
    // k3s' servicelb is the component that gives LoadBalancer Services their addresses
    disabled: [...(disabled.has('servicelb') ? ['loadbalancer'] : []), ...(disabled.has('local-storage') ? ['local-path-provisioner'] : [])],
  });
  let ingress: RunningIngress | undefined;
  if (!disabled.has('traefik') && !disabled.has('ingress') && netnsHost) {
    // netns mode: the ingress controller as a pod of the built-in image skiff/ingress behind skiff-ingress
    const client = new RestClient({ server, token: creds.token, caData: creds.ca.certPem, local, userAgent: 'skiff-addons/v1.32.4' });
    await ensureIngressAddon(client, { apiServer: `https://${netnsHost.hostIP}:${port}`, token: creds.token, clusterDNS: clusterDns, clusterDomain: opts.clusterDomain });
  } else if (!disabled.has('traefik') && !disabled.has('ingress')) {
    const client = new RestClient({ server, token: creds.token, caData: creds.ca.certPem, local, userAgent: 'skiff-ingress-controller/v1.32.4' });
    // on the node address; the skiff-ingress EndpointSlice points there and the proxy carries LB-IP:80/443
    ingress = await startIngressController({ client, informers, listen: { host: opts.nodeIp ?? advertise }, certDir: join(dataDir, 'server', 'tls'), log: (m) => log.info(m) });
  }
  let dns: RunningClusterDNS | undefined;
  if (!disabled.has('coredns') && netnsHost) {
    // netns mode: CoreDNS as kubeadm deploys it, pods of the built-in image skiff/dns behind kube-dns
    const client = new RestClient({ server, token: creds.token, caData: creds.ca.certPem, local, userAgent: 'skiff-addons/v1.32.4' });
    await ensureDNSAddon(client, { apiServer: `https://${netnsHost.hostIP}:${port}`, token: creds.token, clusterDNS: clusterDns, clusterDomain: opts.clusterDomain });
  } else if (!disabled.has('coredns')) {
    // served on the node address; the kube-dns EndpointSlice points there and the proxy carries clusterDNS:53
    const client = clusterDNSClient({ server, token: creds.token, caPem: creds.ca.certPem, local });
    const listen = { ip: opts.nodeIp ?? advertise, port: 0 };
    dns = await startClusterDNS({ client, informers, clusterDomain: opts.clusterDomain, clusterDNS: clusterDns, listen, listenDirect: opts.dnsListenDirect, log: (m) => log.debug(m) });
    log.debug(`cluster DNS: ${dns.address.ip}:${dns.address.port} behind kube-system/kube-dns ${clusterDns}`);
  }
  const agentCount = opts.disableAgent || netnsHost ? 0 : (opts.nodes ?? 1);
  const netnsNodes = netnsHost
    ? await startNetnsNodes({
        host: netnsHost as Parameters<typeof startNetnsNodes>[0]['host'],
        apiHost: advertise, apiPort: port, token: creds.token, dataDir, nodeName: opts.nodeName, kubeletPort: opts.kubeletPort,
        client: new RestClient({ server, token: creds.token, caData: creds.ca.certPem, local, userAgent: 'skiff-server/v1.32.4' }),
        clusterCidr: opts.clusterCidr, clusterDns, serviceCidr: opts.serviceCidr, proxyScheduler: opts.proxyScheduler, proxyMode: opts.proxyMode, containerRuntime: opts.containerRuntime, privateRegistry: opts.privateRegistry && resolve(opts.privateRegistry), disableDefaultRegistryEndpoint: opts.disableDefaultRegistryEndpoint, portMappings: opts.portMapping ?? [], verbose: opts.verbose, log,
      })
    : undefined;
  if (!netnsHost && opts.portMapping?.length) log.info('--port-mapping: not needed in loopback mode (NodePorts already listen on the node IPs in 127.0.0.0/8)');
  const agents = agentCount > 0
    ? await startNodeAgents({ server, token: creds.token, caPem: creds.ca.certPem, dataDir, nodes: agentCount, nodeName: opts.nodeName, nodeIP: opts.nodeIp, kubeletPort: opts.kubeletPort, clusterCidr: opts.clusterCidr, controlPlane: true, containerRuntime: opts.containerRuntime, privateRegistry: opts.privateRegistry, disableDefaultRegistryEndpoint: opts.disableDefaultRegistryEndpoint, log })
    : undefined;
  // One proxy per host process: it serves the in-process nodes' IPs (or, with no agent, the server's own).
  const proxyNodes = agents
    ? () => agents.agents.map((a) => ({ name: a.nodeName, ip: a.nodeIP }))
    : () => [{ name: opts.nodeName ?? hostname(), ip: opts.nodeIp ?? '127.0.0.1' }];
  // netns mode: every node agent runs its own kube-proxy in its node netns
  const proxy = netnsHost ? undefined : startProxy({
    client: new RestClient({ server, token: creds.token, caData: creds.ca.certPem, local, userAgent: 'skiff-proxy/v1.32.4' }),
    informers,
    nodes: proxyNodes,
    scheduler: opts.proxyScheduler, ownsServiceIPs: true, clusterCIDR: opts.clusterCidr, log: (m) => log.debug(m),
    // at most one sync per 100 ms under churn (the proxier's default, as the node agents'): kube-proxy's 1 s
    // minSyncPeriod made a new Service refuse for up to a second after its endpoints were ready in the API
  });
  const ui = disabled.has('ui') ? undefined : await startUI({
    dataDir, port: opts.uiPort ?? defaultUIPort, server, token: creds.token, caPem: creds.ca.certPem, clusterDomain: opts.clusterDomain, informers, local,
    datapath: proxy?.datapath, nodeNetns: netnsHost?.plan.nodes.map((n) => n.netns), dns, ingress, log,
  });
  const metricsPort = opts.proxyMetricsPort ?? defaultProxyMetricsPort;
  const metrics = metricsPort > 0 && proxy ? await startMetrics({ host: proxyNodes()[0]?.ip ?? '127.0.0.1', port: metricsPort, datapath: proxy.datapath, log }) : undefined;
  api.setReady(true);
  const kubectlHint = opts.writeKubeconfig ? `kubectl --kubeconfig ${kubeconfigPath} get pods -A` : `kubectl --context skiff get pods -A   (context "skiff" merged into ${kubeconfigPath})`;
  return {
    port,
    kubeconfigPath,
    kubectlHint,
    uiURL: ui?.url,
    async stop() {
      processAbort.abort();
      // in order, each step whatever the one before did: a step that fails is logged, and the netns
      // topology (namespaces, links, routes) is removed in any case
      const steps: Array<[string, () => unknown]> = [
        ['web view', () => ui?.stop()], ['metrics', () => metrics?.close()], ['proxy', () => proxy?.stop()],
        ['netns nodes', () => netnsNodes?.stop()], ['agents', () => agents?.stop()], ['dns', () => dns?.stop()],
        ['ingress', () => ingress?.stop()], ['controllers', () => controllers.stop()], ['informers', () => informers.stopped()],
        ['compactor', () => compactor.stop()], ['api server', () => api.close()], ['datastore', () => store.close()],
      ];
      try {
        for (const [name, step] of steps) {
          try {
            await step();
          } catch (err) {
            log.error(`stop: ${name}: ${(err as Error).message}`);
          }
        }
      } finally {
        await netnsHost?.stop();
      }
    },
  };
}
