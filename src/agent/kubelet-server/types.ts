/**
 * What the kubelet API's streaming routes (exec, attach, portForward) need from the pod workers. The
 * kubelet server owns routing and auth; a `StreamHandlers` implementation (src/agent/streams) owns the
 * WebSocket/SPDY protocols and reaches containers only through `PodRuntimeAccess`.
 */
import type { ChildProcess } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex, Writable } from 'node:stream';

/** A running container instance of a pod on this node. */
export interface RunningContainer {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  /** `skiff://<id>` as in containerStatuses[].containerID. */
  readonly containerID: string;
  /**
   * Starts a process in the container's environment (its env, working dir, pod IP); it is killed with
   * the container. With `tty`, the caller is responsible for allocating a pty (e.g. via `script`/python
   * pty wrappers): skiff spawns with pipes; stdin is a pipe when `stdin` is true (default true).
   */
  spawn(argv: string[], opts: { tty: boolean; stdin?: boolean; env?: Record<string, string> }): ChildProcess;
  /** The container's main process stdin, when the container spec has `stdin: true` (attach). */
  readonly stdin?: Writable | undefined;
  /** Live stdout/stderr of the main process for attach: subscribe; returns an unsubscribe function. */
  attachOutput?(onData: (stream: 'stdout' | 'stderr', chunk: Buffer) => void): () => void;
  /** Whether the container spec asked for a tty (`tty: true`). */
  readonly tty: boolean;
  /** Whether closing the attached stdin closes the container's stdin (`stdinOnce`). */
  readonly stdinOnce?: boolean;
  /** Resolves with the exit code when the container's main process ends. */
  waitExit?(): Promise<number>;
}

export interface PodRuntimeAccess {
  /** The running container (the pod's first container when `container` is omitted), or undefined. */
  findContainer(namespace: string, pod: string, container?: string): RunningContainer | undefined;
  /** The pod's IP on this node (port-forward dials podIP:port), or undefined if unknown here. */
  podIP(namespace: string, pod: string): string | undefined;
}

/** The parsed route, handed to a stream handler after authentication. */
export interface StreamRequest {
  namespace: string;
  pod: string;
  /** Empty for portForward. */
  container: string;
  /** The full request URL's query (command=…, stdin, stdout, stderr, tty, ports=…). */
  query: URLSearchParams;
}

/**
 * Implemented in src/agent/streams. Each method gets the raw request: for upgrades (WebSocket / SPDY)
 * `socket` and `head` come from the server's 'upgrade' event and `res` is undefined; for a plain
 * request `res` is set and `socket` is the request's socket.
 */
export interface StreamHandlers {
  exec(o: StreamCall): void;
  attach(o: StreamCall): void;
  portForward(o: StreamCall): void;
}

export interface StreamCall {
  req: IncomingMessage;
  res?: ServerResponse;
  socket?: Duplex;
  head?: Buffer;
  route: StreamRequest;
  runtime: PodRuntimeAccess;
}
