/**
 * One OCI container: its bundle (config.json, rootfs overlay) under the data dir, run in the foreground
 * by `crun run` under the shim of cli.ts, so the agent is its parent and sees its exit status (128+signal
 * for a signal death, as crun reports it). Output goes through the FIFOs of runtime/output-fifo.ts, so it
 * outlives an agent restart; the container's id and bundle are kept in `oci.json` in its directory so a
 * new agent run can adopt it (and read its exit status from the shim's file once it ends).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { constants as osConstants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { SkiffError } from '../../../util/errors.js';
import type { Clock, TimerHandle } from '../../../util/clock.js';
import { shellQuote } from '../../streams/pty.js';
import { CriLogWriter } from '../cri-log.js';
import { openOutputFifos, readOutputFifos } from '../output-fifo.js';
import { containerProcesses, readProcStat } from '../proc.js';
import type { ContainerConfig, ContainerExit, ContainerState, PodSandbox, RuntimeContainer } from '../cri.js';
import { containerCgroup, removeContainerCgroups, type CgroupSupport, type ContainerCgroup } from './cgroups.js';
import { exitFile, type OciCli } from './cli.js';
import { lookPathInRootfs, prepareRootfs, releaseRootfs, resolveInRootfs, type RootfsMode } from './rootfs.js';
import { ociSpec } from './spec.js';
import { resolveUser, type ResolvedUser } from './user.js';

/** The container's record in its directory (ContainerConfig.outputDir), for adoption. */
export const OCI_RECORD = 'oci.json';
const POLL_MS = 20;
export const ADOPTED_POLL_MS = 250;

export interface OciContainerOptions {
  id: string;
  sandbox: PodSandbox;
  config: ContainerConfig;
  bundle: string;
  cli: OciCli;
  cgroups: CgroupSupport;
  rootfsMode: RootfsMode;
  clock: Clock;
}

export class OciContainer extends EventEmitter implements RuntimeContainer {
  readonly name: string;
  id: string;
  bundle: string;
  state: ContainerState = 'created';
  private shim: ChildProcess | undefined;
  /** The shim's PID (the process the agent spawned; process.json records it). */
  pid: number | undefined;
  exit: ContainerExit | undefined;
  private readonly exited: Promise<ContainerExit>;
  private resolveExited!: (e: ContainerExit) => void;
  private readonly execLeaders = new Set<number>();
  private outputs: Readable[] = [];
  private log: CriLogWriter | undefined;
  private cgroup: ContainerCgroup | undefined;
  private pollTimer: TimerHandle | undefined;
  user: ResolvedUser | undefined;
  /** The container's init (host PID): exec resolves commands in /proc/<it>/root, the container's own view. */
  private initPid: number | undefined;
  cwd = '/';
  startedAt: number | undefined;

  private openGate!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.openGate = resolve));

  constructor(readonly opts: OciContainerOptions) {
    super();
    this.name = opts.config.name;
    this.id = opts.id;
    this.bundle = opts.bundle;
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
  }

  get stdin(): Writable | undefined {
    return this.shim?.stdin ?? undefined;
  }
  get rootfs(): string {
    return path.join(this.bundle, 'rootfs');
  }

  /** Writes the bundle and runs the container; rejects with StartError (containerd's messages). */
  async start(): Promise<void> {
    if (this.state !== 'created') throw new SkiffError('AlreadyStarted', `container ${this.name} was already started`);
    try {
      await this.run();
    } catch (err) {
      this.state = 'exited';
      throw err instanceof SkiffError ? err : new SkiffError('StartError', err instanceof Error ? err.message : String(err));
    } finally {
      this.openGate();
    }
  }

  private async run(): Promise<void> {
    const { config, cli } = this.opts;
    const image = config.image;
    if (!config.argv[0]) throw new SkiffError('StartError', 'no command specified');
    if (!image) throw new SkiffError('StartError', `container ${config.name} has no OCI image: the oci runtime runs images only`);
    fs.mkdirSync(path.dirname(config.logPath), { recursive: true });
    fs.mkdirSync(this.bundle, { recursive: true });
    const rootfs = prepareRootfs(this.opts.rootfsMode, image.rootfs, this.bundle);
    this.cwd = config.cwd || image.config.WorkingDir || '/';
    if (!resolveInRootfs(rootfs, this.cwd)) fs.mkdirSync(path.join(rootfs, this.cwd), { recursive: true });
    const missing = lookPathInRootfs({ rootfs, file: config.argv[0], pathEnv: config.env['PATH'], cwd: this.cwd, mounts: config.mounts });
    if (missing) throw new SkiffError('StartError', missing);
    this.user = resolveUser(rootfs, config.user ?? image.config.User);
    this.cgroup = containerCgroup(this.opts.cgroups, this.id, config.limits);
    const spec = ociSpec({
      sandbox: this.opts.sandbox,
      rootfs,
      argv: config.argv,
      env: config.env,
      cwd: this.cwd,
      user: this.user,
      mounts: config.mounts,
      ...(this.cgroup ? { cgroupsPath: this.cgroup.cgroupsPath } : {}),
      ...(this.cgroup?.v1MemoryDir ? { moveInitTo: this.cgroup.v1MemoryDir } : {}),
      annotations: { 'io.kubernetes.pod.uid': this.opts.sandbox.config.uid, 'io.kubernetes.pod.namespace': this.opts.sandbox.config.namespace, 'io.kubernetes.pod.name': this.opts.sandbox.config.name, 'io.kubernetes.container.name': config.name },
    });
    fs.writeFileSync(path.join(this.bundle, 'config.json'), JSON.stringify(spec));
    fs.rmSync(exitFile(this.bundle), { force: true });
    const fifoDir = config.outputDir ?? this.bundle;
    const fifos = openOutputFifos(fifoDir);
    const streams = readOutputFifos(fifoDir);
    const [file, ...args] = cli.runArgv(this.id, this.bundle);
    let child: ChildProcess;
    try {
      child = spawn(file!, args, { detached: true, stdio: [config.stdin ? 'pipe' : 'ignore', fifos.stdout, fifos.stderr], env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin' } });
    } finally {
      fifos.close();
    }
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    }).catch((err) => {
      streams.stdout.destroy();
      streams.stderr.destroy();
      throw err;
    });
    this.shim = child;
    this.pid = child.pid!;
    this.startedAt = this.opts.clock.now();
    const log = new CriLogWriter(config.logPath, () => this.opts.clock.now());
    this.log = log;
    this.outputs = [streams.stdout, streams.stderr];
    const drained = Promise.all([log.attach('stdout', streams.stdout), log.attach('stderr', streams.stderr)]);
    let shimExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    child.once('exit', (code, signal) => {
      shimExit = { code, signal };
      void this.finish({ code, signal, drained });
    });
    // started = crun reports it running (or already stopped: it ran and exited at once)
    for (;;) {
      const st = await cli.state(this.id);
      if (st?.pid) this.initPid = st.pid;
      if (st && st.status !== 'created') break;
      if (shimExit) {
        const why = crunError(this.bundle);
        if (why) throw new SkiffError('StartError', why);
        break;
      }
      await delay(POLL_MS);
    }
    this.state = this.exit ? 'exited' : 'running';
    if (config.outputDir) fs.writeFileSync(path.join(config.outputDir, OCI_RECORD), JSON.stringify({ id: this.id, bundle: this.bundle }));
  }

  /**
   * Takes over the container a previous agent run started: the shim (pid, start time) must still be the
   * recorded process and the runtime must report the container running.
   */
  adopt(p: { pid: number; startTime: number; startedAt: number }): boolean {
    if (this.state !== 'created') throw new SkiffError('AlreadyStarted', `container ${this.name} was already started`);
    const dir = this.opts.config.outputDir;
    if (!dir) return false;
    let rec: { id: string; bundle: string };
    try {
      rec = JSON.parse(fs.readFileSync(path.join(dir, OCI_RECORD), 'utf8')) as { id: string; bundle: string };
    } catch {
      return false;
    }
    const st = readProcStat(p.pid);
    if (!st || st.startTime !== p.startTime || st.state === 'Z') return false;
    const [file, ...args] = this.opts.cli.argv(['state', rec.id]);
    const r = spawnSync(file!, args, { encoding: 'utf8' });
    if (r.status !== 0 || !/"status"\s*:\s*"running"/.test(r.stdout)) return false;
    this.initPid = Number(/"pid"\s*:\s*(\d+)/.exec(r.stdout)?.[1]) || undefined;
    this.openGate();
    this.id = rec.id;
    this.bundle = rec.bundle;
    this.pid = p.pid;
    this.startedAt = p.startedAt;
    this.state = 'running';
    this.user = resolveUser(this.rootfs, this.opts.config.user ?? this.opts.config.image?.config.User);
    this.cwd = this.opts.config.cwd || this.opts.config.image?.config.WorkingDir || '/';
    this.cgroup = containerCgroup(this.opts.cgroups, this.id);
    const log = new CriLogWriter(this.opts.config.logPath, () => this.opts.clock.now());
    this.log = log;
    let drained: Promise<unknown> = Promise.resolve();
    try {
      const streams = readOutputFifos(dir);
      this.outputs = [streams.stdout, streams.stderr];
      drained = Promise.all([log.attach('stdout', streams.stdout), log.attach('stderr', streams.stderr)]);
    } catch {
      // no FIFOs: the output is lost, the container is not
    }
    const poll = (): void => {
      const now = readProcStat(p.pid);
      if (now && now.startTime === p.startTime && now.state !== 'Z') {
        this.pollTimer = this.opts.clock.setTimeout(poll, ADOPTED_POLL_MS);
        return;
      }
      this.pollTimer = undefined;
      const status = Number(readFileOr(exitFile(this.bundle), '').trim());
      void this.finish({ code: Number.isInteger(status) && readFileOr(exitFile(this.bundle), '') !== '' ? status : 255, signal: null, drained });
    };
    this.pollTimer = this.opts.clock.setTimeout(poll, ADOPTED_POLL_MS);
    return true;
  }

  private async finish(e: { code: number | null; signal: NodeJS.Signals | null; drained: Promise<unknown> }): Promise<void> {
    const finishedAt = this.opts.clock.now();
    // a container that exits at once: `exit` only once start() has resolved and its caller listens
    await this.gate;
    await new Promise((r) => setImmediate(r));
    const exitCode = e.code ?? 128 + (e.signal ? (osConstants.signals[e.signal] ?? 0) : 0);
    const oom = (this.cgroup?.oomKills() ?? 0) > 0;
    await Promise.race([e.drained, delay(1000)]);
    for (const o of this.outputs) o.destroy();
    this.log?.close();
    // The kubelet never removes an exited container (it keeps only its status): nothing of it may stay.
    await this.release();
    this.exit = { exitCode, signal: e.signal, reason: oom ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error', startedAt: this.startedAt ?? finishedAt, finishedAt };
    this.state = 'exited';
    this.emit('exit', this.exit);
    this.resolveExited(this.exit);
  }

  wait(): Promise<ContainerExit> {
    return this.exited;
  }

  /** The image's StopSignal (or SIGTERM) to PID 1, then SIGKILL to all of it after the grace period. */
  async stop(gracePeriodMs: number): Promise<ContainerExit | undefined> {
    if (this.state === 'created') return undefined;
    if (this.state === 'exited') return this.exit;
    const cli = this.opts.cli;
    const kill = (): void => void cli.kill(this.id, 'KILL', !!this.opts.sandbox.config.hostPID);
    if (gracePeriodMs <= 0) kill();
    else await cli.kill(this.id, this.opts.config.image?.config.StopSignal || 'SIGTERM');
    const timer = this.opts.clock.setTimeout(kill, Math.max(0, gracePeriodMs));
    try {
      return await this.exited;
    } finally {
      this.opts.clock.clearTimeout(timer);
    }
  }

  /** Stops it if needed (its exit releases everything), else deletes what a failed start left. */
  async remove(): Promise<void> {
    if (this.state === 'running') await this.stop(0);
    if (this.pollTimer) this.opts.clock.clearTimeout(this.pollTimer);
    await this.release();
  }

  /** The runtime's state (if any is left), the rootfs mount, the bundle and the cgroups. */
  private async release(): Promise<void> {
    await this.opts.cli.delete(this.id);
    releaseRootfs(this.bundle);
    removeContainerCgroups(this.opts.cgroups, this.id);
  }

  processes(): number[] {
    return this.pid === undefined ? [] : containerProcesses(this.pid, this.execLeaders);
  }

  /** A process in the running container (`crun exec`); it dies with the container. */
  spawnExec(argv: string[], opts: { stdin?: boolean; env?: Record<string, string> } = {}): ChildProcess {
    if (!argv[0]) throw new SkiffError('ExecError', 'no command specified');
    if (this.state !== 'running') throw new SkiffError('ContainerNotRunning', `container ${this.name} is not running`);
    const env = { ...this.opts.config.env, ...opts.env };
    const pty = ptyCommand(argv);
    if (!pty) {
      // the bundle's mount may be in another mount namespace (an agent started by `ip netns exec`, restarted)
      const view = this.initPid && fs.existsSync(`/proc/${this.initPid}/root`) ? { rootfs: `/proc/${this.initPid}/root`, mounts: [] } : { rootfs: this.rootfs, mounts: this.opts.config.mounts };
      const missing = lookPathInRootfs({ ...view, file: argv[0], pathEnv: env['PATH'], cwd: this.cwd });
      if (missing) throw Object.assign(new Error(missing), { code: missing.endsWith('permission denied') ? 'EACCES' : 'ENOENT' });
    }
    const user = this.user ? ['--user', `${this.user.uid}:${this.user.gid}`] : [];
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
    const execArgv = this.opts.cli.argv(['exec', '--cwd', this.cwd, ...user, ...envArgs, this.id, ...(pty ? [] : argv)]);
    // a tty: the host's `script` gives `crun exec` (and so the command) its pty, as for the process runtime
    const [file, ...args] = pty ? ['script', '-qfec', `exec ${execArgv.map(shellQuote).join(' ')} ${pty}`, '/dev/null'] : execArgv;
    const child = spawn(file!, args, { detached: true, stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...(opts.env?.['TERM'] ? { TERM: opts.env['TERM'] } : {}) } });
    if (child.pid !== undefined) {
      const pid = child.pid;
      this.execLeaders.add(pid);
      child.once('exit', () => this.execLeaders.delete(pid));
    }
    return child;
  }
}

/** The command of streams/pty.ts's `script -qfec 'exec …' /dev/null` form, or undefined. */
function ptyCommand(argv: string[]): string | undefined {
  if (argv.length !== 4 || argv[0] !== 'script' || argv[1] !== '-qfec' || argv[3] !== '/dev/null' || !argv[2]!.startsWith('exec ')) return undefined;
  return argv[2]!.slice('exec '.length);
}

/** The runtime's last error line (crun --log), if the container failed to start. */
function crunError(bundle: string): string | undefined {
  const lines = readFileOr(path.join(bundle, 'crun.log'), '').trim().split('\n').filter(Boolean);
  const last = lines.at(-1);
  if (!last) return undefined;
  try {
    const j = JSON.parse(last) as { msg?: string };
    return j.msg ?? last;
  } catch {
    return last;
  }
}

function readFileOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
