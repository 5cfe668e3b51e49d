/**
 * The DNS records cluster DNS serves for a Service (Kubernetes DNS-based service discovery spec, as
 * CoreDNS' kubernetes plugin answers them), worked out from the Service and its EndpointSlices.
 */
type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface DnsRecord {
  name: string;
  type: 'A' | 'AAAA' | 'SRV' | 'PTR' | 'CNAME';
  data: string;
}

function reverse(ip: string): string {
  if (ip.includes(':')) return ''; // IPv6 PTRs are long; the view shows IPv4 ones
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa.`;
}

const dashed = (ip: string) => ip.replace(/[.:]/g, '-');

export function serviceDnsRecords(svc: Any, slices: Any[], zone = 'cluster.local'): DnsRecord[] {
  const ns = svc.metadata?.namespace ?? 'default';
  const fqdn = `${svc.metadata?.name}.${ns}.svc.${zone}.`;
  const spec = svc.spec ?? {};
  const out: DnsRecord[] = [];
  const family = (ip: string): 'A' | 'AAAA' => (ip.includes(':') ? 'AAAA' : 'A');
  if (spec.type === 'ExternalName') {
    out.push({ name: fqdn, type: 'CNAME', data: `${String(spec.externalName ?? '').replace(/\.$/, '')}.` });
    return out;
  }
  const namedPorts = (spec.ports ?? []).filter((p: Any) => p.name);
  if (spec.clusterIP && spec.clusterIP !== 'None') {
    for (const ip of spec.clusterIPs ?? [spec.clusterIP]) out.push({ name: fqdn, type: family(ip), data: ip });
    for (const p of namedPorts) out.push({ name: `_${p.name}._${String(p.protocol ?? 'TCP').toLowerCase()}.${fqdn}`, type: 'SRV', data: `0 100 ${p.port} ${fqdn}` });
    for (const ip of spec.clusterIPs ?? [spec.clusterIP]) if (reverse(ip)) out.push({ name: reverse(ip), type: 'PTR', data: fqdn });
    return out;
  }
  // headless: one record per ready endpoint address; named ones (hostname) also get their own name and PTR
  const seen = new Set<string>();
  const eps: Array<{ ip: string; host: string }> = [];
  for (const s of slices) {
    for (const e of s.endpoints ?? []) {
      if (e.conditions?.ready === false) continue;
      for (const ip of e.addresses ?? []) {
        if (seen.has(ip)) continue;
        seen.add(ip);
        eps.push({ ip, host: e.hostname ?? dashed(ip) });
      }
    }
  }
  eps.sort((a, b) => (a.ip < b.ip ? -1 : 1));
  for (const e of eps) out.push({ name: fqdn, type: family(e.ip), data: e.ip });
  for (const e of eps) out.push({ name: `${e.host}.${fqdn}`, type: family(e.ip), data: e.ip });
  const slicePorts = slices.flatMap((s) => s.ports ?? []).filter((p: Any) => p.name);
  const ports = new Map<string, Any>();
  for (const p of [...namedPorts, ...slicePorts]) if (!ports.has(p.name)) ports.set(p.name, p);
  for (const p of ports.values()) {
    const sp = slicePorts.find((x: Any) => x.name === p.name) ?? p;
    for (const e of eps) out.push({ name: `_${p.name}._${String(p.protocol ?? 'TCP').toLowerCase()}.${fqdn}`, type: 'SRV', data: `0 ${Math.floor(100 / eps.length)} ${sp.port} ${e.host}.${fqdn}` });
  }
  for (const e of eps) if (reverse(e.ip)) out.push({ name: reverse(e.ip), type: 'PTR', data: `${e.host}.${fqdn}` });
  return out;
}
