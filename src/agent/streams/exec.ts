/**
 * kubelet exec and attach over either remotecommand transport. Exec starts a process in the container
 * (on a pty via `script` when tty is asked for) and reports its exit code on the error channel; attach
 * connects to the container's main process stdin/stdout/stderr.
 */
import type { ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { RunningContainer } from '../kubelet-server/types.js';
import { ptyArgv, resizePty } from './pty.js';
import type { CommandOutcome, RemoteCommandSession } from './remotecommand/session.js';

/** Kills the process and its group (exec'd commands run in their own group; `script` puts the command in a session). */
function killTree(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0);
}

/** The Status kubelet (containerd) reports when the command cannot be started. */
function startErrorMessage(containerID: string, err: NodeJS.ErrnoException, file: string): string {
  const why = err.code === 'ENOENT' ? `exec: "${file}": executable file not found in $PATH` : err.code === 'EACCES' ? `exec: "${file}": permission denied` : err.message;
  return `error executing command in container: failed to exec in container: failed to start exec "${containerID.replace(/^[a-z]+:\/\//, '')}": OCI runtime exec failed: exec failed: unable to start container process: ${why}: unknown`;
}

export async function runExec(session: RemoteCommandSession, container: RunningContainer, command: string[]): Promise<void> {
  const { tty } = session.options;
  if (command.length === 0) {
    await session.finish({ kind: 'error', message: 'you must specify at least one command for the container' });
    return;
  }
  let child: ChildProcess;
  try {
    child = container.spawn(tty ? ptyArgv(command) : command, { tty, stdin: session.options.stdin || tty, env: tty ? { TERM: 'xterm' } : undefined });
  } catch (err) {
    await session.finish({ kind: 'error', message: startErrorMessage(container.containerID, err as NodeJS.ErrnoException, command[0]!) });
    return;
  }
  const outcome = new Promise<CommandOutcome>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => resolve({ kind: 'error', message: startErrorMessage(container.containerID, err, command[0]!) }));
    child.once('close', (code, signal) => resolve({ kind: 'exited', exitCode: exitCodeOf(code, signal), command }));
  });

  child.stdin?.on('error', () => undefined);
  if (session.stdin && child.stdin) session.stdin.pipe(child.stdin);
  else child.stdin?.end();
  if (child.stdout) {
    if (session.stdout) child.stdout.pipe(session.stdout, { end: false });
    else child.stdout.resume();
  }
  if (child.stderr) {
    const target = session.stderr ?? (tty ? session.stdout : undefined);
    if (target) child.stderr.pipe(target, { end: false });
    else child.stderr.resume();
  }
  if (tty && child.pid !== undefined) {
    const pid = child.pid;
    let chain = Promise.resolve();
    session.onResize((size) => (chain = chain.then(() => resizePty(pid, size))));
  }
  session.onClientGone(() => killTree(child));

  await session.finish(await outcome);
}

const ATTACH_DRAIN_MS = 200;

/** Attach ends when the container's main process exits (Success) or when the client goes away. */
export async function runAttach(session: RemoteCommandSession, container: RunningContainer): Promise<void> {
  const { tty } = session.options;
  const unsubscribe =
    container.attachOutput?.((stream, chunk) => {
      const target = stream === 'stderr' && !tty ? session.stderr : session.stdout;
      target?.write(chunk);
    }) ?? (() => undefined);
  const stdin = container.stdin;
  if (session.stdin && stdin) {
    // a write racing the process's exit must not crash the agent
    if (stdin.listenerCount('error') === 0) stdin.on('error', () => undefined);
    session.stdin.on('data', (chunk: Buffer) => {
      if (!stdin.writableEnded) stdin.write(chunk);
    });
    session.stdin.on('end', () => {
      if (container.stdinOnce && !stdin.writableEnded) stdin.end();
    });
  } else session.stdin?.resume();

  const ended = await new Promise<'exited' | 'gone'>((resolve) => {
    session.onClientGone(() => resolve('gone'));
    container.waitExit?.().then(() => resolve('exited'), () => resolve('exited'));
  });
  // the output tail may trail the exit by a moment: let it deliver the last lines
  if (ended === 'exited') await new Promise((r) => setTimeout(r, ATTACH_DRAIN_MS));
  unsubscribe();
  if (ended === 'exited') await session.finish({ kind: 'exited', exitCode: 0, command: [] });
}
