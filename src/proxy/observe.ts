/**
 * The connection-observer seam between a datapath and whoever watches traffic (the web view, tests).
 * A datapath that can observe reports each proxied connection (a UDP flow counts as one) when its
 * endpoint is picked and when it ends. The userspace datapath reports from its sockets; a kernel datapath
 * (iptables/nftables in netns mode) would report the same events from conntrack, and its rules as text
 * with packet counters through `rules()`.
 *
 * Observers are called synchronously on the datapath's hot path: they must only record (no I/O).
 */
import type { AddressRole, Protocol, ServicePortName } from './types.js';

/** Why the scheduler sent the connection where it went. */
export type ChoiceReason =
  /** The scheduler picked (its name: random as iptables does, or an IPVS scheduler such as rr). */
  | { kind: 'scheduler'; scheduler: string }
  /** sessionAffinity ClientIP: the client's pinned endpoint. */
  | { kind: 'affinity' };

export interface ConnectionOpened {
  /** Unique per datapath; the matching close carries it. */
  id: number;
  /** ms since the epoch. */
  time: number;
  protocol: Protocol;
  clientIP: string;
  clientPort: number;
  /** The address and port the client dialled (ClusterIP, nodeIP:nodePort, externalIP, LB IP). */
  dialledIP: string;
  dialledPort: number;
  role: AddressRole;
  servicePortName: ServicePortName;
  /** The chosen endpoint, `ip:port`. */
  endpoint: string;
  reason: ChoiceReason;
  /** True when the traffic policy (internal/externalTrafficPolicy Local) limited the choice to local endpoints. */
  localPolicy: boolean;
}

export interface ConnectionClosed {
  id: number;
  time: number;
  /** Client → endpoint and endpoint → client byte counts of this connection. */
  bytesIn: number;
  bytesOut: number;
}

export interface ConnectionObserver {
  opened(ev: ConnectionOpened): void;
  closed(ev: ConnectionClosed): void;
}

/** One address the datapath serves for a Service port, as the view shows it. */
export interface ListenerRule {
  servicePortName: ServicePortName;
  role: AddressRole;
  protocol: Protocol;
  address: string;
  port: number;
}

/** What a node's proxy programmed, for the per-Service rules panel. */
export interface DatapathRules {
  /** `userspace`, `iptables`, `nftables`. */
  mode: string;
  scheduler: string;
  listeners: ListenerRule[];
  /** Kernel datapaths: the rules as text (iptables-save -c / nft list), with packet counters. */
  text?: string;
}

/** A datapath the view can watch: the userspace one now; kernel ones later through the same methods. */
export interface ObservableDatapath {
  setObserver(observer: ConnectionObserver | undefined): void;
  rules(): DatapathRules;
}

export function isObservableDatapath(d: unknown): d is ObservableDatapath {
  return typeof (d as ObservableDatapath | undefined)?.setObserver === 'function' && typeof (d as ObservableDatapath).rules === 'function';
}

/** Shared id sequence of one process's observers. */
let nextId = 1;
export function nextConnectionId(): number {
  return nextId++;
}
