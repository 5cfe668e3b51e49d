/**
 * What exec and attach see of a remotecommand connection, whatever carries it (WebSocket v5/v4
 * channels or SPDY v4 streams): the client's stdin, our stdout/stderr, terminal resizes, and the
 * final Status written on the error channel.
 */
import type { Readable, Writable } from 'node:stream';

export interface RemoteCommandOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface TerminalSize {
  width: number;
  height: number;
}

/** How the command ended, as the error channel reports it. */
export type CommandOutcome = { kind: 'exited'; exitCode: number; command: string[] } | { kind: 'error'; message: string };

export interface RemoteCommandSession {
  readonly options: RemoteCommandOptions;
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  onResize(listener: (size: TerminalSize) => void): void;
  /** Fires when the client goes away before the command ended. */
  onClientGone(listener: () => void): void;
  /** Ends stdout/stderr, writes the Status on the error channel and closes the connection. */
  finish(outcome: CommandOutcome): Promise<void>;
}

/** remotecommand options from the kubelet URL query (`stdin=true&stdout=true&tty=true`, or `=1`). */
export function parseRemoteCommandOptions(query: URLSearchParams): RemoteCommandOptions {
  const flag = (name: string) => {
    const v = query.get(name);
    return v === 'true' || v === '1';
  };
  const tty = flag('tty');
  // with a tty the terminal merges stderr into stdout (kubelet does the same)
  return { stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr') && !tty, tty };
}

/** The v1 Status kubelet writes on the error channel (kubectl reads `ExitCode` from its causes). */
export function outcomeStatus(outcome: CommandOutcome): Record<string, unknown> {
  if (outcome.kind === 'exited' && outcome.exitCode === 0) return { metadata: {}, status: 'Success' };
  if (outcome.kind === 'exited') {
    return {
      metadata: {},
      status: 'Failure',
      message: `command terminated with non-zero exit code: command '${outcome.command.join(' ')}' exited with ${outcome.exitCode}: `,
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: String(outcome.exitCode) }] },
    };
  }
  return { metadata: {}, status: 'Failure', message: `Internal error occurred: ${outcome.message}`, reason: 'InternalError', details: { causes: [{ message: outcome.message }] }, code: 500 };
}

/** Ends a writable and waits until everything written to it has been handed on. */
export function endWritable(w: Writable | undefined): Promise<void> {
  if (!w || w.writableFinished || w.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    w.once('error', () => resolve());
    w.once('close', () => resolve());
    w.end(() => resolve());
  });
}

/** A resize message (`{"Width":80,"Height":24}`); undefined for a malformed one, which kubelet ignores. */
export function parseTerminalSize(text: string): TerminalSize | undefined {
  try {
    const size = JSON.parse(text) as { Width?: number; Height?: number };
    return { width: size.Width ?? 0, height: size.Height ?? 0 };
  } catch {
    return undefined;
  }
}

/** What a transport (SPDY streams, WebSocket channels) hands over to make a session. */
export interface SessionTransport {
  options: RemoteCommandOptions;
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  /** Writes the final Status on the error channel and closes the connection (nothing once it is gone). */
  sendStatus(status: string): Promise<void>;
}

/** The session over a transport, and the two events the transport reports into it. */
export function newSession(t: SessionTransport): { session: RemoteCommandSession; resized(size: TerminalSize): void; clientGone(): void } {
  const resizeListeners: Array<(s: TerminalSize) => void> = [];
  const goneListeners: Array<() => void> = [];
  let finished = false;
  const session: RemoteCommandSession = {
    options: t.options,
    stdin: t.stdin,
    stdout: t.stdout,
    stderr: t.stderr,
    onResize: (l) => resizeListeners.push(l),
    onClientGone: (l) => goneListeners.push(l),
    async finish(outcome: CommandOutcome) {
      finished = true;
      await Promise.all([endWritable(t.stdout), endWritable(t.stderr)]);
      await t.sendStatus(JSON.stringify(outcomeStatus(outcome)));
    },
  };
  return {
    session,
    resized: (size) => {
      for (const l of resizeListeners) l(size);
    },
    clientGone: () => {
      if (!finished) for (const l of goneListeners) l();
    },
  };
}
