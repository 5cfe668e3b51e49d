import { readFileSync } from 'node:fs';

/**
 * The cluster token as k3s takes it: `--token`, else the first line of `--token-file`, else the
 * SKIFF_TOKEN environment variable (so it need not show in `ps`). Undefined when none is given.
 */
export function resolveToken(flags: { token?: string; tokenFile?: string }, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (flags.token) return flags.token;
  if (flags.tokenFile) {
    let text: string;
    try {
      text = readFileSync(flags.tokenFile, 'utf8');
    } catch (err) {
      throw new Error(`--token-file: cannot read ${flags.tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const token = text.split(/\r?\n/)[0]!.trim();
    if (!token) throw new Error(`--token-file: ${flags.tokenFile} is empty`);
    return token;
  }
  return env.SKIFF_TOKEN?.trim() || undefined;
}
