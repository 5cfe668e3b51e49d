import type { EventEmitter } from 'node:events';
import { joinHostPort } from '../../util/net.js';
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
  return `${protocol}/${joinHostPort(address, port)}`;
}

/**
 * Binds a server or socket: rejects with the bind error; once bound, later errors (EMFILE on accept,
 * ICMP errors from clients) are ignored, as they must not crash the proxy.
 */
export function bindOnce(target: EventEmitter, bind: (onBound: () => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    target.once('error', reject);
    bind(() => {
      target.off('error', reject);
      target.on('error', () => {});
      resolve();
    });
  });
}
