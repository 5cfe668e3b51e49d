/** Runs the iproute2/iptables/nft commands of the host topology (argv, never a shell). */
import { spawn } from 'node:child_process';

export interface CmdResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type Runner = (cmd: string, args: string[], input?: string) => Promise<CmdResult>;

export const runCmd: Runner = (cmd, args, input) =>
  new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (err) => resolve({ code: 127, stdout, stderr: stderr + err.message }));
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });

/** Runs a command that must succeed; the error names the command and its stderr. */
export async function must(run: Runner, cmd: string, args: string[], input?: string): Promise<string> {
  const r = await run(cmd, args, input);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr || r.stdout).trim() || `exit ${r.code}`}`);
  return r.stdout;
}

/**
 * `ip [-n NS] -batch -`: one process for many commands. `-force` goes on through errors (for removal, where
 * "does not exist" is fine); otherwise the first error stops the batch and is thrown.
 */
export async function ipBatch(run: Runner, lines: string[], o: { netns?: string; force?: boolean } = {}): Promise<void> {
  if (lines.length === 0) return;
  const args = [...(o.netns ? ['-n', o.netns] : []), ...(o.force ? ['-force'] : []), '-batch', '-'];
  const r = await run('ip', args, lines.join('\n') + '\n');
  if (r.code !== 0 && !o.force) throw new Error(`ip ${args.join(' ')}: ${(r.stderr || r.stdout).trim()}\n  commands: ${lines.join('; ')}`);
}
