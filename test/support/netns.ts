/**
 * The netns side of the harness: per-cluster names and 10.x ranges (so clusters run side by side), the
 * route check that must pass before anything is sent to a 10.x address, and the after-destroy check that
 * the machine shows nothing of the cluster.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { netnsUnavailable } from '../../src/cli/network.js';

const exec = promisify(execFile);

/** Why a netns test cannot run here, or undefined: skiff's own check (root, iproute2, iptables/nft, a probe netns with a veth and a bridge). */
export async function netnsSkipReason(): Promise<string | undefined> {
  const missing = await netnsUnavailable();
  return missing ? `netns mode cannot run here (${missing}); run the e2e suite as root on Linux to cover it` : undefined;
}

export interface NetnsAddresses {
  /** C: `h` + the block octet. */
  clusterName: string;
  nodeCIDR: string;
  clusterCIDR: string;
  serviceCIDR: string;
  lbPool: string;
  hostIP: string;
  /** Node k (1-based). */
  nodeIP(k: number): string;
}

/** Cluster names start with `h` (this harness' prefix); 10.S.0.0/16 holds every range of block S. */
export function netnsAddresses(octet: number): NetnsAddresses {
  return {
    clusterName: `h${octet}`,
    nodeCIDR: `10.${octet}.0.0/24`,
    lbPool: `10.${octet}.0.128/25`,
    serviceCIDR: `10.${octet}.64.0/18`,
    clusterCIDR: `10.${octet}.128.0/17`,
    hostIP: `10.${octet}.0.1`,
    nodeIP: (k) => `10.${octet}.0.${k + 1}`,
  };
}

/** Throws unless the machine routes `addr` through the cluster's own link skf-C (never out of the machine). */
export async function assertRoutedViaSkiff(clusterName: string, addr: string): Promise<void> {
  const { stdout } = await exec('ip', ['route', 'get', addr]);
  const dev = /\bdev (\S+)/.exec(stdout)?.[1];
  if (dev !== `skf-${clusterName}`) throw new Error(`refusing to send to ${addr}: ip route get says "${stdout.trim()}", not via skf-${clusterName}`);
}

/** What the machine still shows of cluster C: netns, links, routes, rules; empty when it is all gone. */
export async function leftoversOf(clusterName: string, ranges: string[]): Promise<string[]> {
  const out: string[] = [];
  const ns = (await exec('ip', ['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n === `skiff-${clusterName}` || n.startsWith(`skiff-${clusterName}-`));
  out.push(...ns.map((n) => `netns ${n}`));
  const links = (await exec('ip', ['-o', 'link'])).stdout.split('\n').filter((l) => l.includes(`skf-${clusterName}:`) || l.includes(`skf-${clusterName}@`));
  out.push(...links.map((l) => `link ${l.trim()}`));
  const nets = ranges.map((r) => r.split('/')[0]!.split('.').slice(0, 2).join('.') + '.');
  const routes = (await exec('ip', ['-4', 'route', 'show', 'table', 'all'])).stdout.split('\n').filter((l) => l.includes(`skf-${clusterName}`) || ranges.some((r) => l.includes(r)));
  out.push(...routes.map((r) => `route ${r}`));
  const rules = [(await exec('iptables-save').catch(() => ({ stdout: '' }))).stdout, (await exec('nft', ['list', 'ruleset']).catch(() => ({ stdout: '' }))).stdout].join('\n');
  out.push(...rules.split('\n').filter((l) => l.includes(`skf-${clusterName}`) || nets.some((n) => l.includes(n))).map((l) => `rule ${l.trim()}`));
  return out;
}
