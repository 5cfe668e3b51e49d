/**
 * The routing table: Ingress rules merged into servers (one per host) and locations, as
 * ingress-nginx builds its nginx.conf (internal/ingress/controller/controller.go createServers).
 * It is immutable: a change builds a new table and the proxy swaps it in.
 */
import type { Ingress, IngressBackend } from 'kubernetes-types/networking/v1.js';
import { backendKey, resolveBackend, type BackendLookup, type ResolvedBackend, type ServiceBackendRef } from './backends.js';
import { normalizeHost, normalizePrefix, pathMatches, wildcardOf, type PathType } from './match.js';
import { metaNamespaceKey } from '../client/store.js';

export interface Location {
  path: string;
  pathType: PathType;
  /** undefined: the controller's own default backend (404). */
  backend?: ServiceBackendRef;
  /** `namespace/name` of the Ingress the location came from ('' for the implicit root). */
  ingress: string;
  /** The implicit `/` of a server, taken by any explicit rule for `/`. */
  isDefBackend: boolean;
}

export interface Server {
  /** '' is the catch-all server (nginx's `_`). */
  host: string;
  /** In precedence order: longest path first, Exact before Prefix on a tie. */
  locations: Location[];
}

export interface Route {
  server: Server;
  location: Location;
  /** undefined when the location's backend is the built-in 404. */
  backend?: ResolvedBackend;
}

export function ingressKey(ing: Ingress): string {
  return metaNamespaceKey(ing);
}

function serviceRef(ing: Ingress, b: IngressBackend | undefined): ServiceBackendRef | undefined {
  const svc = b?.service;
  if (!svc) return undefined;
  const port = svc.port?.number != null ? { number: svc.port.number } : { name: svc.port?.name ?? '' };
  return { namespace: ing.metadata?.namespace ?? '', service: svc.name, port };
}

/** Oldest first, then by namespace/name: earlier Ingresses win conflicts, as in ingress-nginx. */
export function sortIngresses(ingresses: readonly Ingress[]): Ingress[] {
  return [...ingresses].sort((a, b) => {
    const ta = a.metadata?.creationTimestamp ?? '';
    const tb = b.metadata?.creationTimestamp ?? '';
    if (ta !== tb) return ta < tb ? -1 : 1;
    const ka = ingressKey(a);
    const kb = ingressKey(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

function precedence(a: Location, b: Location): number {
  if (a.path.length !== b.path.length) return b.path.length - a.path.length;
  if (a.pathType !== b.pathType) return a.pathType === 'Exact' ? -1 : 1;
  return Number(a.isDefBackend) - Number(b.isDefBackend);
}

function rootLocation(backend: ServiceBackendRef | undefined, ingress: string): Location {
  return { path: '/', pathType: 'Prefix', backend, ingress, isDefBackend: true };
}

export class RoutingTable {
  private readonly resolved = new Map<string, ResolvedBackend>();

  constructor(
    readonly servers: ReadonlyMap<string, Server>,
    readonly catchAll: Server,
    private readonly lookup: BackendLookup,
  ) {}

  /** The server for a Host: exact name, then a one-label wildcard, then the catch-all. */
  serverFor(host: string): Server {
    const h = normalizeHost(host);
    const exact = this.servers.get(h);
    if (exact) return exact;
    const wildcard = wildcardOf(h);
    return (wildcard && this.servers.get(wildcard)) || this.catchAll;
  }

  route(host: string, path: string): Route {
    const server = this.serverFor(host);
    // Every server has a root location, so something always matches.
    const location = server.locations.find((l) => pathMatches(l.pathType, l.path, path)) ?? server.locations[server.locations.length - 1]!;
    return { server, location, backend: location.backend && this.backend(location.backend) };
  }

  /** Backends are resolved once per table (the table is rebuilt when Services or slices change). */
  backend(ref: ServiceBackendRef): ResolvedBackend {
    const key = backendKey(ref);
    let r = this.resolved.get(key);
    if (!r) {
      r = resolveBackend(ref, this.lookup);
      this.resolved.set(key, r);
    }
    return r;
  }
}

/** Builds the table from the Ingresses this controller serves. */
export function buildRoutingTable(ingresses: readonly Ingress[], lookup: BackendLookup): RoutingTable {
  const sorted = sortIngresses(ingresses);
  const catchAll: Server = { host: '', locations: [rootLocation(undefined, '')] };
  // The catch-all's root goes to the first Ingress with a defaultBackend and no rules.
  for (const ing of sorted) {
    const def = serviceRef(ing, ing.spec?.defaultBackend);
    if (def && (ing.spec?.rules ?? []).length === 0) {
      catchAll.locations[0] = rootLocation(def, ingressKey(ing));
      break;
    }
  }
  const servers = new Map<string, Server>();
  for (const ing of sorted) {
    // An Ingress with rules and a defaultBackend uses it as the root of the servers it creates.
    const def = serviceRef(ing, ing.spec?.defaultBackend);
    for (const rule of ing.spec?.rules ?? []) {
      const host = normalizeHost(rule.host);
      if (host === '' || servers.has(host)) continue;
      servers.set(host, { host, locations: [rootLocation(def, ingressKey(ing))] });
    }
  }
  for (const ing of sorted) {
    for (const rule of ing.spec?.rules ?? []) {
      const host = normalizeHost(rule.host);
      const server = host === '' ? catchAll : servers.get(host)!;
      for (const p of rule.http?.paths ?? []) {
        const pathType: PathType = p.pathType === 'Exact' ? 'Exact' : 'Prefix';
        const raw = p.path || '/';
        const path = pathType === 'Prefix' ? normalizePrefix(raw) : raw;
        const existing = server.locations.findIndex((l) => l.path === path && l.pathType === pathType);
        const location: Location = { path, pathType, backend: serviceRef(ing, p.backend), ingress: ingressKey(ing), isDefBackend: false };
        if (existing < 0) server.locations.push(location);
        else if (server.locations[existing]!.isDefBackend) server.locations[existing] = location;
        // else: an older Ingress already defined this location; it keeps it.
      }
    }
  }
  for (const s of [catchAll, ...servers.values()]) s.locations.sort(precedence);
  return new RoutingTable(servers, catchAll, lookup);
}
