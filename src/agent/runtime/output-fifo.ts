/**
 * A container's stdout and stderr as FIFOs in its directory, so its output outlives the agent.
 *
 * With plain pipes the agent holds the only read end: when the agent dies, the container's next write
 * gets EPIPE/SIGPIPE and its output is gone for good, so a restarted agent could not adopt it. Instead
 * the container gets a FIFO opened read-write as its stdout (and one as its stderr): the container then
 * holds a read end itself, so its writes never fail while no agent reads — they wait in the pipe buffer
 * (64 KiB; a container that writes more during the outage blocks until an agent reads again, as with a
 * stalled shim) — and any agent run opens the FIFO by path and goes on appending the same CRI log.
 * No helper process per container is needed (containerd's shim does the same job for it). The reader
 * sees EOF once every process of the container closed its end: the agent closes its copies right after
 * spawning.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Readable } from 'node:stream';

export const STDOUT_FIFO = 'stdout.fifo';
export const STDERR_FIFO = 'stderr.fifo';

function makeFifo(file: string): void {
  fs.rmSync(file, { force: true });
  execFileSync('mkfifo', ['-m', '600', file]);
}

/** Makes fresh FIFOs in `dir` and opens them read-write, as fds for the container's stdout/stderr. */
export function openOutputFifos(dir: string): { stdout: number; stderr: number; close(): void } {
  fs.mkdirSync(dir, { recursive: true });
  const fds: number[] = [];
  for (const name of [STDOUT_FIFO, STDERR_FIFO]) {
    const file = path.join(dir, name);
    makeFifo(file);
    fds.push(fs.openSync(file, fs.constants.O_RDWR));
  }
  return {
    stdout: fds[0]!,
    stderr: fds[1]!,
    close: () => {
      for (const fd of fds.splice(0)) fs.closeSync(fd);
    },
  };
}

/** Opens the FIFOs of `dir` for reading (non-blocking, as sockets on the event loop); throws if absent. */
export function readOutputFifos(dir: string): { stdout: Readable; stderr: Readable } {
  const open = (name: string): Readable => {
    const file = path.join(dir, name);
    if (!fs.statSync(file).isFIFO()) throw new Error(`${file} is not a FIFO`);
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    return new net.Socket({ fd, readable: true, writable: false });
  };
  const stdout = open(STDOUT_FIFO);
  try {
    return { stdout, stderr: open(STDERR_FIFO) };
  } catch (err) {
    stdout.destroy();
    throw err;
  }
}
