import type { AddressRole, Protocol } from '../types.js';
import type { ServiceBalancer } from './balancer.js';

/** What a listener serves; replaced in place on each sync so open sockets never need rebinding. */
export interface ListenerTarget {
  balancer: ServiceBalancer;
  role: AddressRole;
  /** For a node IP: the node whose endpoints count as local there. */
  nodeName?: string;
}

export interface ProxyListener {
  readonly protocol: Protocol;
  readonly address: string;
  readonly port: number;
  target: ListenerTarget;
  /** Binds; rejects with the socket error (code EADDRINUSE, EADDRNOTAVAIL, ...). */
  listen(): Promise<void>;
  /** Stops accepting and frees the port at once; established connections carry on. */
  close(): void;
  /** Called after a sync so listeners can drop state for endpoints that left (UDP flows). */
  synced?(): void;
}

/** Every proxied connection or flow, so that Datapath.close() can end them all. */
export type ConnectionRegistry = Set<{ destroy(): void }>;

export function listenerKey(protocol: Protocol, address: string, port: number): string {
  return address.includes(':') ? `${protocol}/[${address}]:${port}` : `${protocol}/${address}:${port}`;
}
