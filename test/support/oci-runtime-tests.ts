/**
 * The oci runtime under the conformance suite and what only an OCI container has (its image's files,
 * users, StopSignal, memory limits, cleanup), run inside a node network namespace by
 * sandbox-conformance-child.ts (SKNP_MODE=oci). The image is a busybox rootfs made offline here.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ConformancePrograms, ConformanceTarget } from '../../src/agent/runtime/conformance.js';
import type { ContainerConfig, OciImage, PodSandbox, RuntimeContainer } from '../../src/agent/runtime/cri.js';
import { detectOciSupport, OciContainerRuntime, type OciSupport } from '../../src/agent/runtime/oci/oci-runtime.js';
import { isMountPoint } from '../../src/agent/runtime/oci/rootfs.js';
import { NetnsSandboxRuntime } from '../../src/agent/sandbox/netns.js';
import { BUSYBOX_OS_RELEASE, localImage, makeBusyboxRootfs } from './busybox-rootfs.js';

export const busyboxPrograms: ConformancePrograms = {
  // nc -ll serves every connection; `listening` only once the port is bound
  server: (_host, port, reply) => ['sh', '-c', `nc -ll -p ${port} -e echo -n ${reply} & while ! netstat -ltn | grep -q ":${port} "; do usleep 10000; done; echo listening; wait`],
  client: (host, port) => ['nc', host, String(port)],
  idle: ['sleep', '1000'],
  graceful: ['sh', '-c', "trap 'echo bye; exit 0' TERM; echo ready; while :; do sleep 0.05; done"],
  env: { PATH: '/bin:/usr/bin:/sbin:/usr/sbin' },
};

export function ociTarget(prefix: string): { conformance: () => Promise<ConformanceTarget>; ociTests: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-oci-'));
  const image = localImage(makeBusyboxRootfs(path.join(dir, 'image')), 'docker.io/skiff-test/busybox:1');
  const made = detectOciSupport(path.join(dir, 'data'));
  if (!made.ok) throw new Error(`the oci runtime cannot run here: ${made.why}`);
  const support = made.support;
  const containers = new OciContainerRuntime({ dataDir: path.join(dir, 'data'), support });
  const sandboxes = new NetnsSandboxRuntime({ netnsPrefix: prefix, log: () => undefined });
  const target: ConformanceTarget = {
    name: 'oci',
    podCIDR: '10.77.0.0/24',
    nodeIP: '10.76.0.2',
    netnsPrefix: prefix,
    image,
    programs: busyboxPrograms,
    runtime: { network: 'netns', sandboxes, containers, description: containers.description },
  };
  return { conformance: async () => target, ociTests: () => ociTests({ dir, image, containers, sandboxes, support }) };
}

/** The container the adoption test's two "agents" share (the same config, as the kubelet rebuilds it). */
export function adoptFixture(dir: string): { sandbox: PodSandbox; config: ContainerConfig } {
  const rootfs = path.join(dir, 'image');
  if (!fs.existsSync(rootfs)) makeBusyboxRootfs(rootfs);
  const outputDir = path.join(dir, 'adopt');
  fs.mkdirSync(outputDir, { recursive: true });
  return {
    sandbox: { id: 'adopt', ip: '10.76.0.2', config: { uid: 'feedface-0000-4000-8000-00000000ad09', namespace: 'oci', name: 'adopt', hostname: 'adopt', hostNetwork: true } },
    config: {
      name: 'main',
      argv: ['sh', '-c', 'echo before; while [ ! -e /tmp/go ]; do usleep 20000; done; echo after; exit 7'],
      env: busyboxPrograms.env,
      logPath: path.join(outputDir, 'main.log'),
      outputDir,
      mounts: [],
      image: localImage(rootfs, 'docker.io/skiff-test/busybox:1'),
    },
  };
}

interface OciFixture {
  dir: string;
  image: OciImage;
  containers: OciContainerRuntime;
  sandboxes: NetnsSandboxRuntime;
  support: OciSupport;
}

function ociTests(f: OciFixture): void {
  describe('oci runtime: what an OCI container has', () => {
    const made: RuntimeContainer[] = [];
    let sb: PodSandbox;
    let seq = 0;
    const run = async (argv: string[], extra: Partial<ContainerConfig> = {}) => {
      const name = `c${++seq}`;
      const c = f.containers.createContainer(sb, { name, argv, env: busyboxPrograms.env, logPath: path.join(f.dir, 'logs', `${name}.log`), mounts: [], image: f.image, ...extra });
      made.push(c);
      await f.containers.startContainer(c);
      return c;
    };
    const log = (c: RuntimeContainer) => fs.readFileSync(path.join(f.dir, 'logs', `${c.name}.log`), 'utf8');
    const waitLog = async (c: RuntimeContainer, text: string) => {
      for (let i = 0; i < 200 && !(fs.existsSync(path.join(f.dir, 'logs', `${c.name}.log`)) && log(c).includes(text)); i++) await new Promise((r) => setTimeout(r, 25));
      assert.ok(log(c).includes(text), `${text} in the log of ${c.name}`);
    };

    before(async () => {
      sb = await f.sandboxes.runPodSandbox({ uid: 'feedface-0000-4000-8000-000000000001', namespace: 'oci', name: 'oci', hostname: 'oci-pod', hostNetwork: false });
    });
    after(async () => {
      for (const c of made) await f.containers.removeContainer(c).catch(() => undefined);
      await f.sandboxes.removePodSandbox(sb.id).catch(() => undefined);
      fs.rmSync(f.dir, { recursive: true, force: true });
    });

    it("exec runs in the container's filesystem: /etc/os-release is the image's", async () => {
      const c = await run(['sleep', '1000']);
      const r = await f.containers.execSync(c, ['cat', '/etc/os-release'], { timeoutMs: 5000 });
      assert.equal(r.stdout, BUSYBOX_OS_RELEASE);
      assert.notEqual(r.stdout, fs.readFileSync('/etc/os-release', 'utf8'));
    });

    it('writes go to the container, never to the shared image rootfs', async () => {
      const a = await run(['sh', '-c', 'echo changed > /etc/os-release; echo wrote; exec sleep 1000']);
      await waitLog(a, 'wrote');
      const b = await run(['sleep', '1000']);
      assert.equal((await f.containers.execSync(b, ['cat', '/etc/os-release'], { timeoutMs: 5000 })).stdout, BUSYBOX_OS_RELEASE);
      assert.equal(fs.readFileSync(path.join(f.image.rootfs, 'etc/os-release'), 'utf8'), BUSYBOX_OS_RELEASE);
      assert.equal((await f.containers.execSync(a, ['cat', '/etc/os-release'], { timeoutMs: 5000 })).stdout, 'changed\n');
    });

    it('runs as the user named in the image (/etc/passwd, /etc/group) or given as uid:gid', async () => {
      const named = await run(['sh', '-c', 'id; exec sleep 1000'], { user: 'app' });
      await waitLog(named, 'uid=');
      assert.match(log(named), /uid=1000\(app\) gid=1000\(app\) groups=1000\(app\),2000\(extra\)/);
      const numeric = await run(['sh', '-c', 'id; exec sleep 1000'], { user: '4242:4343' });
      await waitLog(numeric, 'uid=');
      assert.match(log(numeric), /uid=4242 gid=4343/);
      await assert.rejects(run(['true'], { user: 'nosuchuser' }), /unable to find user nosuchuser: no matching entries in passwd file/);
    });

    it("stops with the image's StopSignal", async () => {
      const image = { ...f.image, config: { ...f.image.config, StopSignal: 'SIGUSR1' } };
      const c = await run(['sh', '-c', "trap 'echo got-usr1; exit 0' USR1; trap '' TERM; echo ready; while :; do sleep 0.05; done"], { image });
      await waitLog(c, 'ready');
      const exit = await f.containers.stopContainer(c, 10_000);
      assert.equal(exit?.exitCode, 0);
      assert.match(log(c), /stdout F got-usr1/);
    });

    it('kills a container over its memory limit: OOMKilled, 137', async (ctx) => {
      if (!f.support.cgroups.limits) return ctx.skip(`no cgroup limits here: ${f.support.cgroups.summary}`);
      const c = await run(['sh', '-c', 'echo start; x=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; while :; do x=$x$x; done'], { limits: { memoryBytes: 32 << 20 } });
      const exit = await c.wait();
      assert.deepEqual({ code: exit.exitCode, reason: exit.reason }, { code: 137, reason: 'OOMKilled' });
    });

    it('a container that only exits with a code reports it (not OOMKilled)', async () => {
      const c = await run(['sh', '-c', 'exit 3'], { limits: { memoryBytes: 64 << 20, cpuMilli: 500 } });
      const exit = await c.wait();
      assert.deepEqual({ code: exit.exitCode, reason: exit.reason }, { code: 3, reason: 'Error' });
    });

    it('adopts a running container after an agent restart: exec works, output and exit status reach it', async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', new URL('./oci-adopt-child.ts', import.meta.url).pathname, f.dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes('\n')) resolve(out.split('\n')[0]!);
        });
        child.once('exit', (code) => reject(new Error(`agent 1 exited (${code}) before starting the container`)));
      });
      const rec = JSON.parse(line) as { pid: number; startTime: number; startedAt: number };
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const fx = adoptFixture(f.dir);
      const c = f.containers.createContainer(fx.sandbox, fx.config);
      made.push(c);
      assert.equal(f.containers.adoptContainer(c, rec), true);
      assert.equal(c.state, 'running');
      const r = await f.containers.execSync(c, ['touch', '/tmp/go'], { timeoutMs: 5000 });
      assert.equal(r.exitCode, 0, r.stderr);
      const exit = await c.wait();
      assert.equal(exit.exitCode, 7, 'the exit status the shim kept');
      const text = fs.readFileSync(fx.config.logPath, 'utf8');
      assert.match(text, /stdout F before\n/);
      assert.match(text, /stdout F after\n/);
    });

    it('removeContainer unmounts the rootfs and removes the bundle; orphans of a previous run are removed', async () => {
      const c = await run(['sleep', '1000']);
      const bundle = (c as unknown as { bundle: string }).bundle;
      assert.ok(isMountPoint(path.join(bundle, 'rootfs')), 'the rootfs is an overlay mount');
      await f.containers.removeContainer(c);
      assert.equal(fs.existsSync(bundle), false);
      // a second runtime on the same data dir (the agent after a restart) finds one it does not know
      const orphan = await run(['sleep', '1000']);
      const again = new OciContainerRuntime({ dataDir: path.join(f.dir, 'data'), support: f.support });
      const removed = await again.removeOrphanedContainers(new Set());
      assert.ok(removed.includes((orphan as unknown as { id: string }).id), `${removed.join(',')} has the orphan`);
      const exit = await orphan.wait();
      assert.equal(exit.exitCode, 137);
      assert.equal(fs.existsSync((orphan as unknown as { bundle: string }).bundle), false);
    });
  });
}
