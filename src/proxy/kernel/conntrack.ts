/**
 * UDP has no connection to end, so a removed endpoint keeps its conntrack entries (and a Service that was
 * rejecting keeps the entries of rejected flows): kube-proxy deletes them (pkg/proxy/conntrack). Same here.
 */
import type { ProxyState } from '../types.js';
import { runTool, type ToolTarget } from './exec.js';

export type ConntrackFlow = { vip: string; endpointIP?: string } | { nodePort: number; endpointIP: string };

export function udpFlowsToClear(prev: ProxyState, next: ProxyState): ConntrackFlow[] {
  const out: ConntrackFlow[] = [];
  for (const [spn, svc] of prev.services) {
    if (svc.protocol !== 'UDP') continue;
    const vips = [svc.clusterIP, ...svc.externalIPs, ...svc.loadBalancerIPs].filter((ip) => ip && ip !== 'None');
    const before = (prev.endpoints.get(spn) ?? []).filter((e) => e.ready || e.serving);
    const after = new Set((next.services.has(spn) ? next.endpoints.get(spn) ?? [] : []).filter((e) => e.ready || e.serving).map((e) => `${e.ip}:${e.port}`));
    for (const ep of before) {
      if (after.has(`${ep.ip}:${ep.port}`)) continue;
      for (const vip of vips) out.push({ vip, endpointIP: ep.ip });
      if (svc.nodePort) out.push({ nodePort: svc.nodePort, endpointIP: ep.ip });
    }
    if (before.length === 0 && after.size > 0) for (const vip of vips) out.push({ vip });
  }
  return out;
}

export async function clearUdpConntrack(target: ToolTarget, flows: ConntrackFlow[]): Promise<void> {
  for (const f of flows) {
    const args = 'vip' in f
      ? ['-D', '-p', 'udp', '--orig-dst', f.vip, ...(f.endpointIP ? ['--dst-nat', f.endpointIP] : [])]
      : ['-D', '-p', 'udp', '--orig-port-dst', String(f.nodePort), '--dst-nat', f.endpointIP];
    // exit status 1 = nothing matched; a missing conntrack tool must not fail the sync either
    await runTool(target, 'conntrack', args).catch(() => undefined);
  }
}
