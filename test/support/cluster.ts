import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { blockAddresses, claimAddressBlock, spareAddress, type AddressBlock } from './address-block.js';
import { freePort, waitFor } from './ports.js';
import { assertRoutedViaSkiff, leftoversOf, netnsAddresses, type NetnsAddresses } from './netns.js';
import { testRegistryArgs } from './registries.js';
import type { RegistriesConfig } from '../../src/agent/images/oci/registries.js';

const root = resolve(import.meta.dirname, '..', '..');
/** The skiff launcher; `SKIFF_BIN` points the tests at another build. */
export const skiffBin = process.env.SKIFF_BIN ?? join(root, 'bin', 'skiff.js');

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ClusterOptions {
  /** --datastore-endpoint (default: embedded SQLite in the temp data dir) */
  datastoreEndpoint?: string;
  extraArgs?: string[];
  /** reuse a data dir (restart tests) */
  dataDir?: string;
  /** In-process node agents (`--nodes`); 1 by default, 0 runs the control plane only (`--disable-agent`). */
  nodes?: number;
  /**
   * First node's IP, `--cluster-cidr`, `--service-cidr` (in extraArgs) and `--lb-pool` (in extraArgs):
   * whatever is not given comes from an address block the cluster claims for itself (address-block.ts),
   * so clusters side by side never share an address.
   */
  nodeIP?: string;
  clusterCIDR?: string;
  /**
   * An address block the test claimed itself (claimAddressBlock) because it needs the addresses before the
   * cluster starts (backends bound first); the cluster takes it over and releases it on destroy — or when
   * start fails.
   */
  block?: AddressBlock;
  /**
   * `netns`: `--network netns` with cluster name `h<S>` and every range inside 10.S.0.0/16 of the claimed
   * block (nodes 10.S.0.2.., pool 10.S.0.128/25, services 10.S.64.0/18, pods 10.S.128.0/17). Default: the
   * suite's mode, `SKIFF_TEST_NETWORK` (testNetwork), else `loopback` (passed explicitly: `auto` would pick
   * netns as root). A test that only makes sense in one mode names it.
   */
  network?: 'loopback' | 'netns';
  /** Mirrors and configs of the test's own in the cluster's registries.yaml (registries.ts; "*" refuses by default). */
  registries?: RegistriesConfig;
}

/** The mode of clusters whose test does not name one: `SKIFF_TEST_NETWORK=loopback|netns` (scripts/test.sh runs the e2e suite in both). */
export function testNetwork(): 'loopback' | 'netns' {
  const v = process.env.SKIFF_TEST_NETWORK ?? 'loopback';
  if (v !== 'loopback' && v !== 'netns') throw new Error(`SKIFF_TEST_NETWORK=${v}: must be loopback or netns`);
  return v;
}

function flagValue(args: string[] | undefined, flag: string): string | undefined {
  const i = args?.indexOf(flag) ?? -1;
  return i >= 0 ? args![i + 1] : undefined;
}

/**
 * The `skip` of a test that only makes sense in loopback mode, when the suite runs in netns mode (the skip
 * says why). A whole file of one mode names it instead (`network: 'loopback'`): scripts/test.sh runs such
 * files once, the others in both modes.
 */
export function loopbackOnly(why: string): string | false {
  return testNetwork() === 'netns' ? `loopback mode only: ${why}` : false;
}

/** A real `skiff server` process on a free port with its own data dir, driven by the real kubectl. */
export class TestCluster {
  private child?: ChildProcess;
  private output = '';
  /** How the last server process ended (`signal` SIGKILL after a stop: the harness had to kill it). */
  lastExit?: { code: number | null; signal: NodeJS.Signals | null };
  port = 0;
  readonly nodeIP: string;
  readonly clusterCIDR: string;
  readonly serviceCIDR: string;
  /** `--lb-pool` ('' when the test disabled the default pool). */
  readonly lbPool: string;
  readonly kubeconfig: string;
  readonly home: string;
  /** S of the cluster's address block 127.S.0.0/16. */
  readonly octet: number;
  private readonly defaultArgs: string[] = [];
  /** netns mode: the cluster's names and ranges. */
  readonly netns?: NetnsAddresses;

  private constructor(
    readonly dataDir: string,
    private readonly opts: ClusterOptions,
    private readonly ownsDataDir: boolean,
    private readonly block: AddressBlock,
  ) {
    this.kubeconfig = join(dataDir, 'kubeconfig.yaml');
    this.octet = block.octet;
    this.home = join(dataDir, 'home');
    if ((opts.network ?? testNetwork()) === 'netns') {
      const n = (this.netns = netnsAddresses(block.octet));
      this.nodeIP = n.nodeIP(1);
      this.clusterCIDR = opts.clusterCIDR ?? n.clusterCIDR;
      this.serviceCIDR = flagValue(opts.extraArgs, '--service-cidr') ?? n.serviceCIDR;
      this.lbPool = flagValue(opts.extraArgs, '--lb-pool') ?? n.lbPool;
      this.defaultArgs.push('--network', 'netns', '--cluster-name', n.clusterName, '--node-cidr', n.nodeCIDR, '--cluster-cidr', this.clusterCIDR);
      // SKIFF_TEST_CONTAINER_RUNTIME=process|oci: the netns pass with one container runtime (default: auto)
      const runtime = process.env.SKIFF_TEST_CONTAINER_RUNTIME;
      if (runtime && !opts.extraArgs?.includes('--container-runtime')) this.defaultArgs.push('--container-runtime', runtime);
      if (!flagValue(opts.extraArgs, '--service-cidr')) this.defaultArgs.push('--service-cidr', this.serviceCIDR);
      if (flagValue(opts.extraArgs, '--lb-pool') === undefined) this.defaultArgs.push('--lb-pool', this.lbPool);
      return;
    }
    this.defaultArgs.push('--network', 'loopback');
    const own = blockAddresses(block.octet);
    this.nodeIP = opts.nodeIP ?? own.nodeIP;
    this.clusterCIDR = opts.clusterCIDR ?? own.clusterCIDR;
    this.serviceCIDR = flagValue(opts.extraArgs, '--service-cidr') ?? own.serviceCIDR;
    this.lbPool = flagValue(opts.extraArgs, '--lb-pool') ?? own.lbPool;
    if (!flagValue(opts.extraArgs, '--service-cidr')) this.defaultArgs.push('--service-cidr', this.serviceCIDR);
    if (flagValue(opts.extraArgs, '--lb-pool') === undefined) this.defaultArgs.push('--lb-pool', this.lbPool);
    this.defaultArgs.push('--node-ip', this.nodeIP, '--cluster-cidr', this.clusterCIDR);
  }

  static async start(opts: ClusterOptions = {}): Promise<TestCluster> {
    const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'skiff-e2e-')));
    const cluster = new TestCluster(dataDir, opts, !opts.dataDir, opts.block ?? (await claimAddressBlock()));
    try {
      await cluster.boot();
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
    return cluster;
  }

  /** Node k's IP (1-based): --nodes N numbers them from the first node's. */
  nodeIPOf(k: number): string {
    if (this.netns) return this.netns.nodeIP(k);
    const parts = this.nodeIP.split('.');
    return [...parts.slice(0, 3), Number(parts[3]) + k - 1].join('.');
  }

  /** An address of this cluster's block it never uses itself (spareAddress): 127.S.(16+subnet).host. */
  spare(host: number, subnet = 0): string {
    return spareAddress(this.octet, host, subnet);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get logs(): string {
    return this.output;
  }

  private async boot(): Promise<void> {
    this.port ||= await freePort();
    this.output = '';
    const args = [skiffBin, 'server', '--data-dir', this.dataDir, '--https-listen-port', String(this.port), '--write-kubeconfig', this.kubeconfig, '--debug'];
    if (this.opts.datastoreEndpoint) args.push('--datastore-endpoint', this.opts.datastoreEndpoint);
    args.push(...this.defaultArgs);
    // clusters side by side: the web view on a free port unless the test names one
    if (!flagValue(this.opts.extraArgs, '--ui-port')) args.push('--ui-port', '0');
    if (!flagValue(this.opts.extraArgs, '--private-registry')) args.push(...(await testRegistryArgs(this.dataDir, this.opts.registries)));
    if (this.opts.nodes === 0) args.push('--disable-agent');
    else if (this.opts.nodes !== undefined) args.push('--nodes', String(this.opts.nodes));
    args.push(...(this.opts.extraArgs ?? []));
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.lastExit = undefined;
    child.once('exit', (code, signal) => (this.lastExit = { code, signal }));
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`skiff server exited (${code}) before ready:\n${this.output}`))));
    try {
      await Promise.race([waitFor('skiff is ready', () => this.output.includes('skiff is ready') || undefined, this.netns ? 60_000 : 30_000), exited]);
    } catch (err) {
      // A server that never became ready must not outlive the test that started it.
      await this.signal('SIGKILL');
      const msg = (err as Error).message;
      throw new Error(msg.includes(this.output) ? msg : `${msg}\n--- skiff output ---\n${this.output}`);
    }
  }

  /** Runs the real kubectl against this cluster (own HOME so discovery caches never mix). */
  kubectl(args: string[], opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CommandResult> {
    return run('kubectl', args, { input: opts.input, timeoutMs: opts.timeoutMs, env: { ...process.env, KUBECONFIG: this.kubeconfig, HOME: this.home, ...opts.env } });
  }

  /** kubectl that must succeed; returns stdout. */
  async k(...args: string[]): Promise<string> {
    const r = await this.kubectl(args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  async token(): Promise<string> {
    return (await readFile(join(this.dataDir, 'server', 'token'), 'utf8')).trim();
  }

  /** Graceful stop (SIGTERM), waiting for exit. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** SIGKILL: the crash case. */
  async kill9(): Promise<void> {
    await this.signal('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.boot();
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(sig);
    // past the server's own bound (it exits within 25 s of SIGTERM, cli/main.ts), so a slow shutdown on a
    // loaded machine is not cut short into leftovers
    const timer = setTimeout(() => {
      this.forcedStop = sig !== 'SIGKILL';
      child.kill('SIGKILL');
    }, 30_000);
    await gone;
    clearTimeout(timer);
  }

  /** The last SIGTERM ran out of time and the server was SIGKILLed (named in the leftover error). */
  private forcedStop = false;

  /**
   * Before sending anything to an address of this cluster (pod, node, Service, LB IP): in netns mode the
   * machine must route it via the cluster's own link (never out of the machine); in loopback mode it must be
   * on 127.0.0.0/8. Tests that run in both modes call it for every address they send to.
   */
  async assertRouted(addr: string): Promise<void> {
    if (this.netns) return assertRoutedViaSkiff(this.netns.clusterName, addr);
    if (!/^127\./.test(addr)) throw new Error(`refusing to send to ${addr}: a loopback-mode cluster's addresses are on 127.0.0.0/8`);
  }

  /** netns mode: the cluster's ranges (what the leftover check looks for). */
  get ranges(): string[] {
    return this.netns ? [this.netns.nodeCIDR, this.clusterCIDR, this.serviceCIDR, ...this.lbPool.split(',').map((r) => r.trim()).filter(Boolean)] : [];
  }

  /**
   * Stop and remove everything this cluster made. In netns mode, then checks that `ip netns list`, `ip link`,
   * `ip route` and the machine's iptables/nft rules show nothing of the cluster (and throws if they do).
   */
  async destroy(): Promise<void> {
    await this.stop();
    const stopLog = this.logs;
    let left: string[] = [];
    if (this.netns) left = await leftoversOf(this.netns.clusterName, this.ranges);
    if (left.length > 0) {
      // the test fails, but the machine is cleaned: start and stop the server once more (it removes leftovers first)
      await this.boot().catch(() => {});
      await this.stop();
    }
    if (this.ownsDataDir) await rm(this.dataDir, { recursive: true, force: true });
    await this.block.release();
    if (left.length > 0) {
      const tail = stopLog.split('\n').slice(-40).join('\n    ');
      throw new Error(`netns cluster ${this.netns!.clusterName} left behind after stop${this.forcedStop ? ' (SIGKILLed: no exit 30 s after SIGTERM)' : ''}:\n  ${left.join('\n  ')}\n  the server's last lines before it exited:\n    ${tail}`);
    }
  }
}

export function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<CommandResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
    // A command that exits without reading its stdin (curl refused at once) must not fail the test with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}
