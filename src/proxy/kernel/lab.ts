/**
 * A throwaway network for kernel datapath tests and benchmarks, all inside namespaces it creates
 * (names `skkp-<pid>-*`; nothing in the machine's own netns is touched):
 *
 *   client (10.O.200.2-4) ── ext0 10.O.200.1 ┐
 *                                            node netns (the datapath's rules; ip_forward=1)
 *   b1..bN (10.O.1.11..) ── cni0 10.O.1.1 ───┤
 *   pod client (10.O.3.2) ── cni1 10.O.3.1 ──┘
 *
 * Pod CIDR 10.O.0.0/17 (backends and the pod client), service CIDR 10.O.128.0/20, externalIPs
 * 10.O.150.x, LB IPs 10.O.160.x; the node IP (for NodePorts) is 10.O.200.1.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { runTool } from './exec.js';
import { labAgentSource } from './lab-agent.js';

export const labPrefix = 'skkp-';

export function canRunLab(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const tool of ['ip', 'iptables-restore', 'nft']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `needs ${tool}`;
  }
  return undefined;
}

async function ip(...args: string[]): Promise<void> {
  await runTool({}, 'ip', args);
}

/** Removes namespaces of earlier runs of this prefix whose process is gone (a killed test run). */
export async function removeStaleLabs(): Promise<void> {
  const { stdout } = await runTool({}, 'ip', ['netns', 'list']);
  for (const name of stdout.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(labPrefix))) {
    const pid = Number(name.split('-')[1]);
    if (pid && pid !== process.pid && isAlive(pid)) continue;
    if (pid === process.pid) continue;
    await ip('netns', 'del', name).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class LabClient {
  private seq = 0;
  private readonly waiting = new Map<number, (v: Record<string, unknown>) => void>();

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      if (l === 'ready') return;
      const m = JSON.parse(l) as { id: number };
      this.waiting.get(m.id)?.(m);
      this.waiting.delete(m.id);
    });
  }

  call<T = Record<string, unknown>>(op: string, args: Record<string, unknown>): Promise<T & { error?: string }> {
    const id = ++this.seq;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve as (v: Record<string, unknown>) => void);
      this.child.stdin!.write(JSON.stringify({ id, op, ...args }) + '\n');
    });
  }

  /** `n` new connections; each greeting is `backendID seenClientIP`. */
  async whoami(host: string, port: number, n = 1, local?: string): Promise<Array<{ id: string; source: string }>> {
    const r = await this.call<{ lines: string[] }>('whoami', { host, port, n, local });
    if (r.error) throw new Error(`connect ${host}:${port} (after ${r.lines?.length ?? 0}): ${r.error}`);
    return r.lines.map((l) => ({ id: l.split(' ')[0], source: l.split(' ')[1] }));
  }

  /** One connection attempt: its error code (ECONNREFUSED, TIMEOUT, ...) or the greeting. */
  connect(host: string, port: number, timeoutMs = 3000): Promise<{ error?: string; line?: string; ms: number }> {
    return this.call('connect', { host, port, timeoutMs });
  }

  udp(host: string, port: number, text: string, timeoutMs = 3000): Promise<{ error?: string; reply?: string; from?: string }> {
    return this.call('udp', { host, port, text, timeoutMs });
  }
}

export interface LabBackend {
  name: string;
  ip: string;
  id: string;
}

export class DatapathLab {
  readonly node: string;
  readonly octet: number;
  readonly backends: LabBackend[] = [];
  readonly port = 8080;
  client!: LabClient;
  podClient!: LabClient;
  private readonly children: ChildProcess[] = [];
  private readonly namespaces: string[] = [];

  private constructor(readonly id: string, octet: number) {
    this.octet = octet;
    this.node = `${id}-node`;
  }

  get clusterCIDR(): string { return `10.${this.octet}.0.0/17`; }
  get serviceCIDR(): string { return `10.${this.octet}.128.0/20`; }
  get nodeIP(): string { return `10.${this.octet}.200.1`; }
  clientIP(n = 0): string { return `10.${this.octet}.200.${2 + n}`; }
  get podClientIP(): string { return `10.${this.octet}.3.2`; }
  vip(n: number): string { return `10.${this.octet}.128.${n}`; }
  externalIP(n: number): string { return `10.${this.octet}.150.${n}`; }
  lbIP(n: number): string { return `10.${this.octet}.160.${n}`; }

  /** Builds the namespaces and starts `backends` servers; on any failure removes what it made. */
  static async create(opts: { backends?: number; octet?: number; tag?: string } = {}): Promise<DatapathLab> {
    await removeStaleLabs();
    const lab = new DatapathLab(`${labPrefix}${process.pid}${opts.tag ? `-${opts.tag}` : ''}`, opts.octet ?? 77);
    try {
      await lab.build(opts.backends ?? 3);
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return lab;
  }

  /** Last resort if the process ends before destroy() (a cancelled test run): remove by name, synchronously. */
  private readonly onExit = () => {
    for (const c of this.children) if (c.pid && c.exitCode === null && c.signalCode === null) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
    for (const ns of this.namespaces) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  };

  private async netns(name: string): Promise<void> {
    if (this.namespaces.length === 0) process.once('exit', this.onExit);
    await ip('netns', 'add', name);
    this.namespaces.push(name);
    await ip('-n', name, 'link', 'set', 'lo', 'up');
  }

  private async build(n: number): Promise<void> {
    const o = this.octet;
    const node = this.node;
    await this.netns(node);
    await runTool({ netns: node }, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    // A real node has a default route, so traffic for unknown addresses reaches FORWARD (and REJECT)
    // instead of failing the route lookup; here it leads into a bridge with no ports.
    await ip('-n', node, 'link', 'add', 'dummy0', 'type', 'bridge');
    await ip('-n', node, 'link', 'set', 'dummy0', 'up');
    await ip('-n', node, 'route', 'add', 'default', 'dev', 'dummy0');
    for (const [br, addr] of [['cni0', `10.${o}.1.1/24`], ['cni1', `10.${o}.3.1/24`]]) {
      await ip('-n', node, 'link', 'add', br, 'type', 'bridge');
      await ip('-n', node, 'addr', 'add', addr, 'dev', br);
      await ip('-n', node, 'link', 'set', br, 'up');
    }
    const attach = async (ns: string, hostIf: string, bridge: string, addr: string, gw: string) => {
      await this.netns(ns);
      await ip('-n', node, 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      await ip('-n', node, 'link', 'set', hostIf, 'master', bridge, 'up');
      await ip('-n', ns, 'addr', 'add', addr, 'dev', 'eth0');
      await ip('-n', ns, 'link', 'set', 'eth0', 'up');
      await ip('-n', ns, 'route', 'add', 'default', 'via', gw);
    };
    for (let i = 1; i <= n; i++) {
      const b = { name: `${this.id}-b${i}`, ip: `10.${o}.1.${10 + i}`, id: `pod-${i}` };
      await attach(b.name, `vb${i}`, 'cni0', `${b.ip}/24`, `10.${o}.1.1`);
      this.backends.push(b);
    }
    await attach(`${this.id}-p`, 'vp', 'cni1', `${this.podClientIP}/24`, `10.${o}.3.1`);
    const c = `${this.id}-c`;
    await this.netns(c);
    await ip('-n', node, 'link', 'add', 'ext0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', c);
    await ip('-n', node, 'addr', 'add', `${this.nodeIP}/24`, 'dev', 'ext0');
    await ip('-n', node, 'link', 'set', 'ext0', 'up');
    for (let k = 0; k < 3; k++) await ip('-n', c, 'addr', 'add', `${this.clientIP(k)}/24`, 'dev', 'eth0');
    await ip('-n', c, 'link', 'set', 'eth0', 'up');
    await ip('-n', c, 'route', 'add', 'default', 'via', this.nodeIP);

    await Promise.all(this.backends.map((b) => this.agent(b.name, { SKKP_ROLE: 'backend', SKKP_ID: b.id, SKKP_PORT: String(this.port) })));
    this.client = new LabClient(await this.agent(c, { SKKP_ROLE: 'client' }));
    this.podClient = new LabClient(await this.agent(`${this.id}-p`, { SKKP_ROLE: 'client' }));
  }

  /** Starts the lab agent in `ns` and waits for its `ready` line. */
  private agent(ns: string, env: Record<string, string>): Promise<ChildProcess> {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', labAgentSource], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.children.push(child);
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`lab agent in ${ns} exited ${code}`));
      child.once('exit', onExit);
      child.stdout!.once('data', () => {
        child.off('exit', onExit);
        resolve(child);
      });
    });
  }

  /** Runs a tool in the node netns (iptables-save, nft list ...). */
  async inNode(cmd: string, args: string[]): Promise<string> {
    return (await runTool({ netns: this.node }, cmd, args)).stdout;
  }

  async destroy(): Promise<void> {
    for (const c of this.children) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      const exited = new Promise((r) => c.once('exit', r));
      if (c.pid) process.kill(c.pid, 'SIGKILL');
      await exited;
    }
    for (const ns of this.namespaces.reverse()) await ip('netns', 'del', ns).catch(() => undefined);
    this.namespaces.length = 0;
    process.off('exit', this.onExit);
  }
}
