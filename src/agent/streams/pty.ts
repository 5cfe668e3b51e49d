/**
 * Pseudo-terminals without a native addon: `kubectl exec -t` runs the command under util-linux
 * `script`, which allocates a pty for it and relays bytes over our pipes (exit status kept with -e).
 * Resizes are applied with `stty -F /dev/pts/N cols W rows H` on the command's terminal; the kernel
 * then sends SIGWINCH to its foreground process group, as with a real terminal.
 */
import { execFile } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import type { TerminalSize } from './remotecommand/session.js';

export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** argv that runs `argv` on a fresh pty (stdin/stdout of the returned process are the pty's master side). */
export function ptyArgv(argv: string[]): string[] {
  return ['script', '-qfec', `exec ${argv.map(shellQuote).join(' ')}`, '/dev/null'];
}

/** The pty (/dev/pts/N) of the process `script` started, once it exists. */
async function ptyOfScript(scriptPid: number): Promise<string | undefined> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      const children = (await readFile(`/proc/${scriptPid}/task/${scriptPid}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean);
      for (const child of children) {
        const target = await readlink(`/proc/${child}/fd/0`).catch(() => '');
        if (target.startsWith('/dev/pts/')) return target;
      }
    } catch {
      return undefined; // script is gone
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

/** Sets the window size of the pty behind a `script` process. */
export async function resizePty(scriptPid: number, size: TerminalSize): Promise<void> {
  if (size.width <= 0 || size.height <= 0) return;
  const tty = await ptyOfScript(scriptPid);
  if (!tty) return;
  await new Promise<void>((resolve) => execFile('stty', ['-F', tty, 'cols', String(size.width), 'rows', String(size.height)], () => resolve()));
}
