/**
 * The netns PodSandbox (what the bridge + host-local CNI plugins do for a kind node): in the agent's
 * own network namespace (the node's) a bridge `cni0` holding the podCIDR's first address; per pod a
 * named network namespace `<prefix><first 10 hex of the pod uid>` with `lo` up and `eth0`, a veth whose
 * host side `veth<8 hex>` is on cni0, the pod IP from the podCIDR and a default route via the bridge.
 * hostNetwork pods get no namespace: their IP is the node's.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { SkiffError } from '../../util/errors.js';
import { nthIP, parseCIDR } from '../../util/net.js';
import { PodIPAM } from '../kubelet/ipam.js';
import type { PodSandbox, PodSandboxConfig, PodSandboxRuntime, PodSandboxStatus, RuntimeConfig } from '../runtime/cri.js';
import { tool } from './launcher.js';

export interface NetnsSandboxOptions {
  /** Every pod netns name starts with it (e.g. `skiff-c1-n1-`); orphans are found by it. */
  netnsPrefix: string;
  /** The pod bridge in the node netns; `cni0` by default. */
  bridge?: string;
  log: (message: string) => void;
}

const NETNS_DIR = '/run/netns';

interface Record {
  sandbox: PodSandbox;
  ready: boolean;
}

export class NetnsSandboxRuntime implements PodSandboxRuntime {
  readonly network = 'netns' as const;
  private ipam: PodIPAM | undefined;
  private gateway = '';
  private prefixLength = 24;
  private nodeIP = '';
  private readonly sandboxes = new Map<string, Record>();
  private readonly bridge: string;

  constructor(private readonly opts: NetnsSandboxOptions) {
    if (!/^[A-Za-z0-9_.-]+$/.test(opts.netnsPrefix)) throw new SkiffError('InvalidNetnsPrefix', `invalid netns prefix "${opts.netnsPrefix}"`);
    this.bridge = opts.bridge ?? 'cni0';
  }

  /** The netns name of a pod. */
  netnsName(uid: string): string {
    return `${this.opts.netnsPrefix}${uid.replace(/-/g, '').slice(0, 10)}`;
  }

  async updateRuntimeConfig(config: RuntimeConfig): Promise<void> {
    const cidr = parseCIDR(config.podCIDR);
    if (!cidr || cidr.family !== 'IPv4') throw new SkiffError('InvalidPodCIDR', `invalid podCIDR "${config.podCIDR}"`);
    this.nodeIP = config.nodeIP;
    this.gateway = nthIP(cidr, 1);
    this.prefixLength = cidr.prefix;
    if (!this.ipam) this.ipam = new PodIPAM(config.podCIDR);
    const exists = await ip(['link', 'show', 'dev', this.bridge]).then(() => true, () => false);
    if (!exists) await ip(['link', 'add', this.bridge, 'type', 'bridge']);
    const addrs = await ip(['-o', '-4', 'addr', 'show', 'dev', this.bridge]);
    if (!addrs.includes(` ${this.gateway}/${this.prefixLength} `)) await ip(['addr', 'add', `${this.gateway}/${this.prefixLength}`, 'dev', this.bridge]);
    await ip(['link', 'set', this.bridge, 'up']);
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<PodSandbox> {
    const ipam = this.ipam;
    if (!ipam) throw new SkiffError('RuntimeNotReady', 'runtime network not ready: no podCIDR configured');
    if (config.hostNetwork) {
      const sandbox: PodSandbox = { id: `host://${config.uid}`, config, ip: this.nodeIP, reused: true };
      this.sandboxes.set(sandbox.id, { sandbox, ready: true });
      return sandbox;
    }
    const name = this.netnsName(config.uid);
    const netnsPath = `${NETNS_DIR}/${name}`;
    // A namespace of this pod from a previous run whose containers the kubelet adopts: keep it as it is.
    if (config.adopt && config.priorIP && fs.existsSync(netnsPath)) {
      const addrs = await ip(['-n', name, '-o', '-4', 'addr', 'show', 'dev', 'eth0']).catch(() => '');
      if (addrs.includes(` ${config.priorIP}/`) && ipam.reserve(config.uid, config.priorIP)) {
        const sandbox: PodSandbox = { id: name, config, ip: config.priorIP, netnsPath, reused: true };
        this.sandboxes.set(name, { sandbox, ready: true });
        return sandbox;
      }
    }
    // A namespace of this pod from a previous run of the agent: its containers are gone, start afresh.
    if (fs.existsSync(`${NETNS_DIR}/${name}`)) await deleteNetns(name);
    const podIP = config.priorIP && ipam.reserve(config.uid, config.priorIP) ? config.priorIP : ipam.allocate(config.uid);
    const veth = vethName(name);
    try {
      await ip(['netns', 'add', name]);
      await ip(['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name]);
      await ip(['link', 'set', veth, 'master', this.bridge, 'up']);
      // hairpin (the CNI bridge plugin's hairpinMode): a pod reaching itself through its own Service is
      // DNATed on the bridge (br_netfilter) back out of the port it came in by
      await ip(['link', 'set', 'dev', veth, 'type', 'bridge_slave', 'hairpin', 'on']);
      await ip(['-n', name, 'link', 'set', 'lo', 'up']);
      await ip(['-n', name, 'addr', 'add', `${podIP}/${this.prefixLength}`, 'dev', 'eth0']);
      await ip(['-n', name, 'link', 'set', 'eth0', 'up']);
      await ip(['-n', name, 'route', 'add', 'default', 'via', this.gateway, 'dev', 'eth0']);
    } catch (err) {
      await deleteNetns(name);
      await ip(['link', 'del', veth]).catch(() => undefined);
      ipam.release(config.uid);
      throw new SkiffError('CreatePodSandboxError', `failed to setup network for sandbox "${name}": ${err instanceof Error ? err.message : String(err)}`);
    }
    const sandbox: PodSandbox = { id: name, config, ip: podIP, netnsPath: `${NETNS_DIR}/${name}` };
    this.sandboxes.set(name, { sandbox, ready: true });
    return sandbox;
  }

  async stopPodSandbox(id: string): Promise<void> {
    const r = this.sandboxes.get(id);
    if (!r) return;
    r.ready = false;
    if (r.sandbox.netnsPath) await deleteNetns(id);
  }

  async removePodSandbox(id: string): Promise<void> {
    const r = this.sandboxes.get(id);
    if (!r) {
      if (id.startsWith(this.opts.netnsPrefix)) await deleteNetns(id);
      return;
    }
    if (r.sandbox.netnsPath) {
      await deleteNetns(id);
      await ip(['link', 'del', vethName(id)]).catch(() => undefined);
    }
    this.sandboxes.delete(id);
    this.ipam?.release(r.sandbox.config.uid);
  }

  podSandboxStatus(id: string): PodSandboxStatus | undefined {
    const r = this.sandboxes.get(id);
    if (!r) return undefined;
    const present = !r.sandbox.netnsPath || fs.existsSync(r.sandbox.netnsPath);
    return { id, state: r.ready && present ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY', ip: r.sandbox.ip, ...(r.sandbox.netnsPath ? { netnsPath: r.sandbox.netnsPath } : {}) };
  }

  /** Namespaces under our prefix whose pod is not in `keep` (and not one we run now). */
  async removeOrphanedSandboxes(keep: ReadonlySet<string>): Promise<string[]> {
    const wanted = new Set([...keep].map((uid) => this.netnsName(uid)));
    let names: string[];
    try {
      names = fs.readdirSync(NETNS_DIR);
    } catch {
      return [];
    }
    const removed: string[] = [];
    for (const n of names) {
      if (!n.startsWith(this.opts.netnsPrefix) || wanted.has(n) || this.sandboxes.has(n)) continue;
      await deleteNetns(n);
      removed.push(n);
    }
    if (removed.length) this.opts.log(`removed ${removed.length} pod network namespaces left by a previous run: ${removed.join(' ')}`);
    return removed;
  }
}

/** `veth` + 8 hex, stable per netns name (so a leftover is found again). */
export function vethName(netns: string): string {
  return `veth${createHash('sha256').update(netns).digest('hex').slice(0, 8)}`;
}

async function deleteNetns(name: string): Promise<void> {
  // deleting the namespace destroys eth0 and with it the host side of the veth
  await ip(['netns', 'delete', name]).catch((err: Error) => {
    if (fs.existsSync(`${NETNS_DIR}/${name}`)) throw err;
  });
}

function ip(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(tool('ip'), args, { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`ip ${args.join(' ')}: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });
}
