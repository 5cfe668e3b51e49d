/** skopeo and umoci as child processes: their stderr becomes the error message the kubelet reports. */
import { execFile } from 'node:child_process';

export interface ToolResult {
  stdout: string;
  stderr: string;
}

/** Runs `argv`; rejects with the tool's last stderr lines (skopeo prints `time=… level=fatal msg="…"`). */
export function runTool(argv: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { timeout: opts.timeoutMs ?? 10 * 60_000, maxBuffer: 16 << 20, env: opts.env ?? process.env }, (err, stdout, stderr) => {
      if (!err) return resolve({ stdout, stderr });
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return reject(new Error(`${argv[0]} is not installed (Debian: apt-get install ${argv[0]})`));
      reject(new Error(toolMessage(stderr) || err.message));
    });
  });
}

/** skopeo's `level=fatal msg="…"` line unquoted, else stderr's lines (tar's reasons come before its summary). */
export function toolMessage(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const fatal = [...lines].reverse().find((l) => /level=(fatal|error)/.test(l));
  const m = fatal?.match(/msg="((?:[^"\\]|\\.)*)"/);
  if (m) return m[1]!.replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  return lines.filter((l) => !/Exiting with failure status/.test(l)).join('; ').replace(/^Error:\s*/, '');
}
