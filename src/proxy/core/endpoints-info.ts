/** EndpointSlices → the endpoints of one service port (pkg/proxy/endpointslicecache.go). */
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Endpoint, Protocol } from '../types.js';
import { joinHostPort } from '../../util/net.js';

/**
 * Merges every slice of a Service for the port named `portName`: endpoints are keyed by ip:port;
 * when two slices list the same one, a ready copy wins. Conditions left nil read as ready/serving.
 */
export function endpointsForPort(opts: {
  slices: Iterable<EndpointSlice>;
  portName: string;
  protocol: Protocol;
  localNodes: ReadonlySet<string>;
}): Endpoint[] {
  const out = new Map<string, Endpoint>();
  for (const slice of opts.slices) {
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === opts.portName && (p.protocol ?? 'TCP') === opts.protocol);
    if (!port?.port) continue;
    for (const ep of slice.endpoints ?? []) {
      const ip = ep.addresses?.[0];
      if (!ip) continue;
      const ready = ep.conditions?.ready ?? true;
      const nodeName = ep.nodeName ?? '';
      const e: Endpoint = {
        ip, port: port.port, ready,
        serving: ep.conditions?.serving ?? ready,
        terminating: ep.conditions?.terminating ?? false,
        nodeName, isLocal: nodeName !== '' && opts.localNodes.has(nodeName),
      };
      const key = joinHostPort(ip, port.port);
      const prior = out.get(key);
      if (!prior || (ready && !prior.ready)) out.set(key, e);
    }
  }
  return [...out.values()].sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.port - b.port));
}
