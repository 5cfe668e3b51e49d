import { Command, InvalidArgumentError } from 'commander';
import { createLogger } from './logger.js';
import { parseProxyMode, parseProxyScheduler } from './proxy.js';
import { runServer, serverDefaults, type ServerOptions } from './server.js';
import { runAgent, type AgentCommandOptions } from './agent.js';
import { defaultProxyMetricsPort, defaultUIPort, uiLoginURL } from './ui.js';
import { netnsDefaults, parseNetworkFlag } from './network.js';
import { parseContainerRuntimeFlag } from './node-runtime.js';
import { parsePortMappings, type PortMapping } from './port-forwarder.js';
import { resolveToken } from './token.js';
import { registerImageCommands } from './image.js';

function intArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('not a port number');
  return n;
}

function countArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 250) throw new InvalidArgumentError('not a node count (0-250)');
  return n;
}

const program = new Command();
program.name('skiff').description('A Kubernetes-compatible cluster that starts in a second: pods are processes, Services carry real traffic.').version('0.1.0');
program.exitOverride();

program
  .command('server')
  .description('Run the control plane (API server, controllers) and, by default, a node agent, until SIGINT/SIGTERM')
  .option('-d, --data-dir <dir>', 'folder for state, certificates and the datastore', serverDefaults.dataDir)
  .option('--https-listen-port <port>', 'HTTPS listen port of the API server', intArg, serverDefaults.httpsListenPort)
  .option('--bind-address <ip>', 'address the API server binds', serverDefaults.bindAddress)
  .option('-o, --write-kubeconfig <file>', 'write the admin kubeconfig to this file (default: merge a "skiff" context into ~/.kube/config)')
  .option('--datastore-endpoint <url>', 'sqlite://PATH (default: embedded SQLite in the data dir), memory://, or http://HOST:PORT for etcd')
  .option('--network <mode>', 'auto (netns when root on Linux with netns, veth, bridges and iptables/nft; else loopback), loopback or netns', parseNetworkFlag, 'auto')
  .option('--service-cidr <cidr>', `IPv4 range for Service cluster IPs (default: loopback ${serverDefaults.serviceCidr}, netns ${netnsDefaults.serviceCidr})`)
  .option('--cluster-cidr <cidr>', `IPv4 range for pod IPs (default: loopback ${serverDefaults.clusterCidr}, netns ${netnsDefaults.clusterCidr})`)
  .option('--node-cidr <cidr>', `netns mode: the bridge subnet of the node IPs; the host end takes its first address (default ${netnsDefaults.nodeCidr})`)
  .option('--cluster-name <name>', 'netns mode: names the namespaces skiff-NAME-* and the link skf-NAME (1-5 of [a-z0-9]; default from the data dir)')
  .option('--port-mapping <ports>', 'netns mode: also serve these NodePorts on 127.0.0.1 (NODEPORT or HOSTPORT:NODEPORT, comma-separated; like kind\'s extraPortMappings)', (v: string, prev: PortMapping[]) => parsePortMappings(v, prev), [] as PortMapping[])
  .option('--proxy-mode <mode>', 'netns mode: kube-proxy mode of the node agents (iptables, nftables, ipvs, userspace; default: the kube-proxy ConfigMap\'s mode, else iptables)', (v: string) => { parseProxyMode(v); return v; })
  .option('--container-runtime <runtime>', 'runtime of OCI images: oci (crun/runc), process (the built-in catalog only), auto (oci in netns mode where crun or runc, overlay and root are there, else process)', parseContainerRuntimeFlag, 'auto')
  .option('--private-registry <file>', 'k3s registries.yaml: registry mirrors (endpoint, rewrite) and configs (auth, tls) for image pulls (default: <data-dir>/registries.yaml where it exists)')
  .option('--disable-default-registry-endpoint', 'pull an image of a registry with a mirror entry (or "*") from its mirror endpoints only, never from the registry itself', false)
  .option('--cluster-dns <ip>', 'cluster DNS Service IP (default: the service range\'s .10)')
  .option('--cluster-domain <domain>', 'cluster domain', serverDefaults.clusterDomain)
  .option('--service-node-port-range <range>', 'port range for NodePort Services', serverDefaults.serviceNodePortRange)
  .option('-t, --token <token>', 'shared secret for agents and the admin user (default: SKIFF_TOKEN, or generated and kept in the data dir)')
  .option('--token-file <file>', 'read the token from this file instead of the command line')
  .option('--secrets-encryption', 'encrypt Secrets at rest (aescbc key in <data-dir>/server/cred/encryption-config.json)', false)
  .option('--lb-pool <addresses>', `LoadBalancer IPAddressPool kube-system/skiff-default: CIDRs or ranges, comma-separated ("" for none; default: loopback ${serverDefaults.lbPool}, netns the node CIDR's upper half)`)
  .option('--nodes <n>', 'number of in-process node agents (logical nodes)', (v: string) => countArg(v), 1)
  .option('--disable-agent', 'run the control plane only (no in-process node agent)', false)
  .option('--node-name <name>', 'name of the first node (default: the host name; further nodes append -2, -3, ...)')
  .option('--node-ip <ip>', 'IP of the first node (further in-process nodes take the next addresses)', '127.0.0.1')
  .option('--kubelet-port <port>', 'kubelet API port on each node IP', intArg, 10250)
  .option('--proxy-scheduler <name>', 'Service load balancing: random (as iptables), or an IPVS scheduler: rr, wrr, lc, wlc, sed, nq, dh, sh, lblc', parseProxyScheduler, serverDefaults.proxyScheduler)
  .option('--disable <component>', 'do not run a packaged component: traefik or ingress (the ingress controller), coredns (cluster DNS), servicelb (LoadBalancer IP pools), ui (the web view); repeatable, comma-separated', (v: string, prev: string[]) => [...prev, ...v.split(',').map((x) => x.trim()).filter(Boolean)], [] as string[])
  .option('--dns-listen-direct', 'also serve cluster DNS on the --cluster-dns IP, port 53, itself (normally the proxy carries it)', false)
  .option('--node-monitor-grace-period <duration>', 'how long a node may go without renewing its lease before it is marked NotReady (Go duration)', '40s')
  .option('--default-not-ready-toleration-seconds <seconds>', 'tolerationSeconds of the default not-ready/unreachable tolerations: how long pods stay on a dead node', (v: string) => Number(v), 300)
  .option('--ui-port <port>', 'port of the web view on 127.0.0.1 (0: any free port; --disable ui turns it off)', intArg, defaultUIPort)
  .option('--proxy-metrics-port <port>', 'port of the proxy\'s Prometheus /metrics on the first node IP (0: off)', intArg, defaultProxyMetricsPort)
  .option('--debug', 'log every request', false)
  .action(async (flags: Omit<ServerOptions, 'verbose'> & { debug: boolean }) => {
    const log = createLogger({ verbose: flags.debug });
    const running = await runServer({ ...flags, token: resolveToken(flags), verbose: flags.debug }, log);
    const ui = running.uiURL ? `Web view: ${running.uiURL}\n` : '';
    process.stdout.write(`To use kubectl: ${running.kubectlHint}\n${ui}skiff is ready\n`);
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info(`${signal}: shutting down`);
      // netns mode removes namespaces, links and routes after the node agents stopped
      const force = setTimeout(() => process.exit(1), 25_000);
      force.unref();
      await running.stop();
      process.exit(0);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
  });

program
  .command('ui')
  .description('Print the login URL of the web view of the skiff server that uses the data dir')
  .option('-d, --data-dir <dir>', 'the server\'s data dir', serverDefaults.dataDir)
  .action(async (flags: { dataDir: string }) => {
    process.stdout.write(`${await uiLoginURL(flags.dataDir)}\n`);
  });

program
  .command('agent')
  .description('Run a node agent (kubelet) joined to a skiff server, until SIGINT/SIGTERM')
  .requiredOption('-s, --server <url>', 'the API server, e.g. https://127.0.0.1:6443')
  .option('-t, --token <token>', 'the cluster token (the server\'s data dir: server/token); or --token-file, or SKIFF_TOKEN')
  .option('--token-file <file>', 'read the cluster token from this file (keeps it out of `ps`)')
  .option('--node-name <name>', 'node name (default: the host name)')
  .option('--node-ip <ip>', 'node IP (loopback mode: a 127.x address)', '127.0.0.1')
  .option('-d, --data-dir <dir>', 'folder for node state and pod logs', serverDefaults.dataDir)
  .option('--kubelet-port <port>', 'kubelet API port', intArg, 10250)
  .option('--cluster-cidr <cidr>', 'pod range, for the podCIDR fallback when the server assigns none', serverDefaults.clusterCidr)
  .option('--network <mode>', 'auto, loopback or netns (this process runs inside its node netns)', parseNetworkFlag, 'auto')
  .option('--netns-prefix <prefix>', 'netns mode: pod namespaces are named with this prefix (the server passes skiff-C-nK-)')
  .option('--control-plane', 'register as a control-plane node', false)
  .option('--container-runtime <runtime>', 'runtime of OCI images: oci, process or auto (oci in netns mode where it can run, else process)', parseContainerRuntimeFlag, 'auto')
  .option('--private-registry <file>', 'k3s registries.yaml: registry mirrors (endpoint, rewrite) and configs (auth, tls) for image pulls (default: <data-dir>/registries.yaml where it exists)')
  .option('--disable-default-registry-endpoint', 'pull an image of a registry with a mirror entry (or "*") from its mirror endpoints only, never from the registry itself', false)
  .option('--cluster-dns <ip>', 'kubelet --cluster-dns: the nameserver of pods\' resolv.conf (default: the kube-dns Service\'s ClusterIP)')
  .option('--proxy-mode <mode>', 'kube-proxy mode: userspace, iptables, nftables, ipvs (default: netns mode the kube-proxy ConfigMap\'s mode, else iptables; loopback mode userspace)', parseProxyMode)
  .option('--service-cidr <cidr>', 'the Service range (nftables mode drops its unallocated addresses)')
  .option('--proxy-scheduler <name>', 'Service load balancing: random (as iptables), or an IPVS scheduler: rr, wrr, lc, wlc, sed, nq, dh, sh, lblc', parseProxyScheduler, serverDefaults.proxyScheduler)
  .option('--debug', 'verbose logging', false)
  .action(async (flags: Omit<AgentCommandOptions, 'token'> & { token?: string; tokenFile?: string; debug: boolean }) => {
    const log = createLogger({ verbose: flags.debug });
    const token = resolveToken(flags);
    if (!token) throw new Error("required option '-t, --token <token>' not specified (or --token-file, or SKIFF_TOKEN)");
    const running = await runAgent({ ...flags, token }, log);
    process.stdout.write('skiff agent is ready\n');
    // run by `skiff server` in netns mode: a server gone (kill -9) closes this pipe. Exit as a crashed kubelet
    // does, leaving the pods and the kernel's Service rules in place for the next server's agent to adopt
    // (a clean server stop sends SIGTERM first, which stops the pods).
    if (process.env.SKIFF_EXIT_WITH_STDIN === '1') {
      process.stdin.on('end', () => {
        log.info('server gone: exiting, pods keep running for the next agent to adopt');
        process.exit(0);
      });
      process.stdin.resume();
    }
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info(`${signal}: shutting down`);
      const force = setTimeout(() => process.exit(1), 15_000);
      force.unref();
      await running.stop();
      process.exit(0);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
  });

registerImageCommands(program, serverDefaults.dataDir);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const code = (err as { exitCode?: number; code?: string }).exitCode;
  if ((err as { code?: string }).code?.startsWith('commander.')) process.exit(code ?? 1);
  process.stderr.write(`skiff: ${(err as Error).message}\n`);
  process.exit(1);
}
