/** ExecSync over a spawned exec process: its output (capped), exit status, and a kill at the timeout. */
import type { ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { Clock } from '../../../util/clock.js';
import { containerProcesses } from '../proc.js';
import type { ExecResult } from '../cri.js';

const CAP = 64 * 1024;

export function collectExec(spawnIt: () => ChildProcess, o: { timeoutMs: number; clock: Clock; file: string }): Promise<ExecResult> {
  let child: ChildProcess;
  try {
    child = spawnIt();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return Promise.resolve({ exitCode: e.code === 'ENOENT' ? 127 : 126, stdout: '', stderr: e.message, timedOut: false });
  }
  return new Promise((resolve) => {
    const out = { stdout: '', stderr: '' };
    let timedOut = false;
    for (const k of ['stdout', 'stderr'] as const) child[k]!.setEncoding('utf8').on('data', (d: string) => (out[k] = (out[k] + d).slice(0, CAP)));
    const timer = o.clock.setTimeout(() => {
      timedOut = true;
      for (const pid of child.pid !== undefined ? containerProcesses(child.pid) : []) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }, o.timeoutMs);
    child.once('error', (err) => {
      o.clock.clearTimeout(timer);
      resolve({ exitCode: 126, ...out, stderr: `exec: "${o.file}": ${err.message}`, timedOut: false });
    });
    child.once('close', (code, signal) => {
      o.clock.clearTimeout(timer);
      resolve({ exitCode: code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0), ...out, timedOut });
    });
  });
}
