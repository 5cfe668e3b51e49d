import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { SkiffError } from '../../util/errors.js';

/** Where kernel datapath tools run: this process's netns, or a named one through `ip netns exec`. */
export interface ToolTarget {
  netns?: string;
}

export interface ToolResult {
  stdout: string;
  stderr: string;
}

/** Runs `cmd args` (optionally in a netns) feeding `input` on stdin; rejects with stderr on a non-zero exit. */
export function runTool(target: ToolTarget, cmd: string, args: string[], input?: string): Promise<ToolResult> {
  const [file, argv] = target.netns ? ['ip', ['netns', 'exec', target.netns, cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => reject(new SkiffError('ToolFailed', `${cmd}: ${e.message}`)));
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString();
      const stderr = Buffer.concat(err).toString();
      if (code === 0) resolve({ stdout, stderr });
      else reject(new SkiffError('ToolFailed', `${cmd} ${args.join(' ')} exited ${code}: ${stderr.trim() || stdout.trim()}`));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

const base32Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Go's base32.StdEncoding (with padding) of `data`. */
export function base32(data: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += base32Alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += base32Alphabet[(value << (5 - bits)) & 31];
  while (out.length % 8) out += '=';
  return out;
}

const hashed = new Map<string, string>();

/**
 * base32(sha256(text)), as kube-proxy hashes chain names. Remembered: kube-proxy computes a name once per
 * service port and endpoint object, and hashing every name on every sync costs ~1 s at 10,000 Services.
 */
export function hashName(text: string): string {
  let h = hashed.get(text);
  if (h === undefined) {
    if (hashed.size >= 500_000) hashed.clear();
    hashed.set(text, (h = base32(createHash('sha256').update(text).digest())));
  }
  return h;
}
