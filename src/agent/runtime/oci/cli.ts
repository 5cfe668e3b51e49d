/**
 * Running the OCI runtime binary (crun, else runc) as skiff does: one state root per agent, the cgroupfs
 * manager (crun's systemd manager would need a systemd), and — on a hybrid cgroup hierarchy, which
 * crun 1.8 refuses — each call in a mount namespace of its own where the cgroup2 mount is unmounted.
 * `crun run` stays in the foreground under a small shell shim that writes its exit status to a file:
 * the status of a container whose agent restarted (and is no longer its parent) is then still known.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { CgroupSupport } from './cgroups.js';

export interface OciBinary {
  name: 'crun' | 'runc';
  path: string;
}

/** crun, else runc, from PATH (or the one named). */
export function findOciBinary(pathEnv = process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin'): OciBinary | undefined {
  for (const name of ['crun', 'runc'] as const) {
    for (const dir of pathEnv.split(':').filter(Boolean)) {
      const p = path.join(dir, name);
      try {
        fs.accessSync(p, fs.constants.X_OK);
        return { name, path: p };
      } catch {
        // next
      }
    }
  }
  return undefined;
}

export interface OciState {
  id: string;
  /** created | running | stopped | paused */
  status: string;
  pid: number;
  bundle: string;
  annotations?: Record<string, string>;
}

// $1 the cgroup2 mount to hide ('' for none), $2 the exit file, then the runtime's argv
const RUN_SHIM = ['u=$1; x=$2; shift 2', 'if [ -n "$u" ]; then umount "$u" || exit 125; fi', '"$@"; rc=$?', 'echo $rc > "$x.tmp" && mv "$x.tmp" "$x"', 'exit $rc'].join('\n');
const HIDE = 'umount "$1" || exit 125; shift; exec "$@"';

export class OciCli {
  constructor(
    readonly bin: OciBinary,
    /** The runtime's --root (its state, one directory per container). */
    readonly stateDir: string,
    private readonly cgroups: CgroupSupport,
  ) {
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  }

  private base(): string[] {
    const out = [this.bin.path, '--root', this.stateDir];
    if (this.bin.name === 'crun') out.push(`--cgroup-manager=${this.cgroups.mode === 'none' ? 'disabled' : 'cgroupfs'}`);
    return out;
  }

  /** argv that runs `args` of the runtime (in the mount namespace it needs). */
  argv(args: string[]): string[] {
    const cmd = [...this.base(), ...args];
    const u = this.cgroups.hideUnified;
    return u ? ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', HIDE, 'skiff-oci', u, ...cmd] : cmd;
  }

  /** argv of the shim that runs the container in the foreground and leaves its exit status in `exitFile`. */
  runArgv(id: string, bundle: string): string[] {
    const shim = ['sh', '-c', RUN_SHIM, 'skiff-shim', this.cgroups.hideUnified ?? '', exitFile(bundle), ...this.base(), `--log=${path.join(bundle, 'crun.log')}`, 'run', '--bundle', bundle, id];
    return this.cgroups.hideUnified ? ['unshare', '--mount', '--propagation', 'private', '--', ...shim] : shim;
  }

  run(args: string[], timeoutMs = 15_000): Promise<{ code: number; stdout: string; stderr: string }> {
    const [file, ...rest] = this.argv(args);
    return new Promise((resolve) => {
      execFile(file!, rest, { timeout: timeoutMs, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  async state(id: string): Promise<OciState | undefined> {
    const r = await this.run(['state', id]);
    if (r.code !== 0) return undefined;
    try {
      return JSON.parse(r.stdout) as OciState;
    } catch {
      return undefined;
    }
  }

  /** The containers in this runtime's state root. */
  async list(): Promise<OciState[]> {
    const ids = fs.existsSync(this.stateDir) ? fs.readdirSync(this.stateDir) : [];
    const out: OciState[] = [];
    for (const id of ids) {
      const st = await this.state(id);
      if (st) out.push(st);
    }
    return out;
  }

  async kill(id: string, signal: string, all = false): Promise<boolean> {
    return (await this.run(['kill', ...(all ? ['--all'] : []), id, signal.replace(/^SIG/, '')])).code === 0;
  }

  /** `delete --force`: kills what is left and removes the state (and the runtime's cgroup). */
  async delete(id: string): Promise<void> {
    await this.run(['delete', '--force', id]);
  }
}

export function exitFile(bundle: string): string {
  return path.join(bundle, 'exit-status');
}
