/** `--network auto|loopback|netns`: which network mode runs, and why (the start-up line says it). */
import { InvalidArgumentError } from 'commander';
import { existsSync } from 'node:fs';
import { runCmd, type Runner } from '../agent/hostnet/exec.js';

export type NetworkFlag = 'auto' | 'loopback' | 'netns';
export type NetworkMode = 'loopback' | 'netns';

export interface NetworkChoice {
  mode: NetworkMode;
  reason: string;
}

/** k3s' defaults in netns mode; node IPs and the LoadBalancer pool (its upper half) on the bridge subnet. */
export const netnsDefaults = {
  clusterCidr: '10.42.0.0/16',
  serviceCidr: '10.43.0.0/16',
  nodeCidr: '10.41.0.0/24',
};

export function parseNetworkFlag(v: string): NetworkFlag {
  if (v === 'auto' || v === 'loopback' || v === 'netns') return v;
  throw new InvalidArgumentError('must be auto, loopback or netns');
}

/**
 * Why netns mode cannot run here, or undefined when it can: Linux, root, iproute2, iptables or nft, and a
 * throwaway namespace that takes a veth pair and a bridge (made and removed at once).
 */
export async function netnsUnavailable(run: Runner = runCmd): Promise<string | undefined> {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root';
  if (!existsSync('/proc/self/ns/net')) return 'no network namespaces in this kernel';
  if ((await run('ip', ['-V'])).code !== 0) return 'no iproute2 (`ip`)';
  const iptables = (await run('iptables', ['--version'])).code === 0;
  const nft = iptables || (await run('nft', ['--version'])).code === 0;
  if (!iptables && !nft) return 'neither iptables nor nft is installed';
  const probe = `skiff-probe-${process.pid}`;
  try {
    const add = await run('ip', ['netns', 'add', probe]);
    if (add.code !== 0) return `cannot create a network namespace: ${add.stderr.trim()}`;
    const veth = await run('ip', ['-n', probe, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1']);
    if (veth.code !== 0) return `no veth support: ${veth.stderr.trim()}`;
    const br = await run('ip', ['-n', probe, 'link', 'add', 'b0', 'type', 'bridge']);
    if (br.code !== 0) return `no bridge support: ${br.stderr.trim()}`;
  } finally {
    await run('ip', ['netns', 'del', probe]);
  }
  return undefined;
}

/** The first of the given flag values that is a 127.0.0.0/8 address or range: with it, `auto` means loopback. */
export function loopbackFlag(flags: [string, string | undefined][]): string | undefined {
  const hit = flags.find(([, v]) => v !== undefined && /^127\./.test(v));
  return hit ? `${hit[0]} ${hit[1]} is in 127.0.0.0/8` : undefined;
}

/**
 * `auto` is netns where it can run, except that an address flag in 127.0.0.0/8 (`--node-ip 127.0.0.2`,
 * `--cluster-cidr 127.42.0.0/16`) asks for loopback mode, where those addresses live.
 */
export async function chooseNetwork(flag: NetworkFlag, o: { run?: Runner; loopbackHint?: string } = {}): Promise<NetworkChoice> {
  const run = o.run ?? runCmd;
  if (flag === 'loopback') return { mode: 'loopback', reason: '--network loopback' };
  if (flag === 'auto' && o.loopbackHint) return { mode: 'loopback', reason: `auto: ${o.loopbackHint}` };
  const missing = await netnsUnavailable(run);
  if (flag === 'netns') {
    if (missing) throw new Error(`--network netns: cannot run here: ${missing}`);
    return { mode: 'netns', reason: '--network netns' };
  }
  if (missing) return { mode: 'loopback', reason: `auto: ${missing}; netns mode needs root on Linux with network namespaces, veth, bridges and iptables or nft` };
  return { mode: 'netns', reason: 'auto: root on Linux with network namespaces, veth, bridges and iptables/nft' };
}

export function networkLine(c: NetworkChoice): string {
  return `network mode: ${c.mode} (${c.reason})`;
}
