/**
 * The real kubectl against the stream handlers (fixture API server on loopback, containers = host
 * processes, the "pod" reached through port-forward = a local server).
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { RunningContainer } from '../kubelet-server/types.js';
import { hostContainer, startFixture, testPod, type FixtureServer } from './testing.js';

const execFileP = promisify(execFile);
const transports: Array<{ name: string; exec: Record<string, string>; pf: Record<string, string> }> = [
  { name: 'WebSocket', exec: {}, pf: {} },
  { name: 'SPDY', exec: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' }, pf: { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' } },
];

let fixture: FixtureServer;
let backend: http.Server;
let echo: net.Server;
let backendPort: number;
let echoPort: number;
let closedPort: number;

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

/** Starts `kubectl port-forward` to `remotePort` and resolves with the local port it printed. */
async function portForward(remotePort: number, env: Record<string, string>): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
  const child = fixture.spawnKubectl(['port-forward', '--address', '127.0.0.1', 'pod/p', `:${remotePort}`], env);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`port-forward exited ${code}: ${err}`)));
  });
  return { child, port, stderr: () => err };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

before(async () => {
  backend = http.createServer((req, res) => res.end(`hello ${req.url}`));
  backendPort = await listen(backend);
  echo = net.createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
  echoPort = await listen(echo);
  const probe = net.createServer();
  closedPort = await listen(probe);
  await new Promise<void>((r) => probe.close(() => r()));
  const attachPod = testPod('att');
  (attachPod.spec as { containers: Array<Record<string, unknown>> }).containers[0]!.stdin = true;
  (attachPod.spec as { containers: Array<Record<string, unknown>> }).containers[0]!.stdinOnce = true;
  fixture = await startFixture({
    pods: [testPod('p'), testPod('gone'), attachPod],
    runtime: {
      findContainer: (ns, pod, c) => (pod === 'gone' ? undefined : pod === 'att' ? attachable() : recordingPids(hostContainer(ns, pod, c ?? 'c', { X: 'hello-from-x' }))),
      podIP: () => '127.0.0.1',
    },
  });
});

/** A container whose main process echoes its stdin, started fresh for each attach. */
function attachable(): RunningContainer {
  const main = spawn('sh', ['-c', 'while read l; do echo "echo:$l"; done; echo bye >&2'], { stdio: ['pipe', 'pipe', 'pipe'] });
  attached.push(main);
  const exit = new Promise<number>((r) => main.once('close', (code) => r(code ?? 1)));
  return {
    ...hostContainer('default', 'att', 'c'),
    stdin: main.stdin,
    stdinOnce: true,
    waitExit: () => exit,
    attachOutput(onData) {
      const out = (d: Buffer) => onData('stdout', d);
      const err = (d: Buffer) => onData('stderr', d);
      main.stdout.on('data', out);
      main.stderr.on('data', err);
      return () => {
        main.stdout.off('data', out);
        main.stderr.off('data', err);
      };
    },
  };
}
const attached: ChildProcess[] = [];

/** The exec'd processes, so tests can check none outlives its session. */
const execPids: number[] = [];
function recordingPids(container: RunningContainer): RunningContainer {
  return {
    ...container,
    spawn(argv, opts) {
      const child = container.spawn(argv, opts);
      if (child.pid !== undefined) execPids.push(child.pid);
      return child;
    },
  };
}

function isLive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a zombie waiting for its parent to reap it counts as gone
  return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

after(async () => {
  for (const c of attached) c.kill('SIGKILL');
  await fixture.close();
  await new Promise<void>((r) => backend.close(() => r()));
  await new Promise<void>((r) => echo.close(() => r()));
});

for (const t of transports) {
  describe(`kubectl exec over ${t.name}`, () => {
    it('prints output and propagates a non-zero exit code', async () => {
      const r = await fixture.kubectl(['exec', 'p', '--', 'sh', '-c', 'echo $X; echo oops >&2; exit 3'], { env: t.exec });
      assert.equal(r.stdout, 'hello-from-x\n');
      assert.equal(r.stderr, 'oops\ncommand terminated with exit code 3\n');
      assert.equal(r.code, 3);
    });

    it('exits 0 on success', async () => {
      const r = await fixture.kubectl(['exec', 'p', '-c', 'c', '--', 'echo', 'a b'], { env: t.exec });
      assert.deepEqual(r, { code: 0, stdout: 'a b\n', stderr: '' });
    });

    it('carries stdin with -i until EOF', async () => {
      const input = 'line 1\nline 2\n'.repeat(5000);
      const r = await fixture.kubectl(['exec', '-i', 'p', '--', 'sh', '-c', 'wc -l; echo done'], { env: t.exec, input });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim().split(/\s+/).join(' '), '10000 done');
    });

    it('reports a command that cannot start', async () => {
      const r = await fixture.kubectl(['exec', 'p', '--', '/nonexistent/cmd'], { env: t.exec });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /exec: "\/nonexistent\/cmd": executable file not found in \$PATH/);
    });

    it('reports a container that is not running as kubelet does', async () => {
      const r = await fixture.kubectl(['exec', 'gone', '--', 'true'], { env: t.exec });
      assert.deepEqual(r, { code: 1, stdout: '', stderr: 'error: unable to upgrade connection: container not found ("c")\n' });
    });

    it('attaches to the main process: stdin in, stdout/stderr out, ends when it exits', async () => {
      const r = await fixture.kubectl(['attach', '-i', 'att', '-c', 'c'], { env: t.exec, input: 'one\ntwo\n' });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'echo:one\necho:two\n');
      assert.match(r.stderr, /bye\n/);
    });

    it('kills the command when kubectl goes away', async () => {
      const before = execPids.length;
      const child = fixture.spawnKubectl(['exec', 'p', '--', 'sh', '-c', 'echo up; sleep 300'], t.exec);
      await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
      const pid = execPids[before]!;
      assert.ok(isLive(pid));
      child.kill('SIGKILL');
      const deadline = Date.now() + 10_000;
      while (isLive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(isLive(pid), false);
    });

    it('runs -it on a pty with the terminal size and exit code', async () => {
      const remote = `for i in $(seq 100); do s=$(stty size); [ "$s" != "0 0" ] && break; sleep 0.05; done; echo "size=$s"; tty; read line; echo "got=$line"; exit 5`;
      const cmd = `stty cols 100 rows 40; kubectl exec -it p -- sh -c '${remote.replace(/'/g, `'\\''`)}'`;
      const child = spawn('script', ['-qfec', cmd, '/dev/null'], { env: { PATH: process.env.PATH!, HOME: fixture.dir, KUBECONFIG: fixture.kubeconfig, ...t.exec } });
      let out = '';
      let typed = false;
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (!typed && out.includes('size=')) {
          typed = true;
          child.stdin.write('typed text\r');
        }
      });
      const code = await new Promise((r) => child.on('close', r));
      assert.match(out, /size=40 100\r\n/);
      assert.match(out, /\/dev\/pts\/\d+\r\n/);
      assert.match(out, /got=typed text\r\n/);
      assert.match(out, /command terminated with exit code 5/);
      assert.equal(code, 5);
    });
  });

  describe(`kubectl port-forward over ${t.name}`, () => {
    it('carries 100 sequential curl requests through one port-forward', async () => {
      const pf = await portForward(backendPort, t.pf);
      try {
        for (let i = 0; i < 100; i++) {
          const { stdout } = await execFileP('curl', ['-sS', '--max-time', '10', `http://127.0.0.1:${pf.port}/req-${i}`]);
          assert.equal(stdout, `hello /req-${i}`);
        }
        assert.doesNotMatch(pf.stderr(), /error/i);
      } finally {
        await stop(pf.child);
      }
    });

    it('carries concurrent connections, large transfers and half-closes', async () => {
      const pf = await portForward(echoPort, t.pf);
      try {
        const one = (size: number, fill: number) =>
          new Promise<Buffer>((resolve, reject) => {
            const s = net.connect(pf.port, '127.0.0.1', () => s.end(Buffer.alloc(size, fill)));
            const chunks: Buffer[] = [];
            s.on('data', (d: Buffer) => chunks.push(d));
            s.on('end', () => resolve(Buffer.concat(chunks)));
            s.on('error', reject);
          });
        const results = await Promise.all([one(4 * 1024 * 1024, 1), ...Array.from({ length: 10 }, (_, i) => one(1000 + i, 2 + i))]);
        assert.ok(results[0]!.equals(Buffer.alloc(4 * 1024 * 1024, 1)));
        results.slice(1).forEach((r, i) => assert.ok(r.equals(Buffer.alloc(1000 + i, 2 + i))));
      } finally {
        await stop(pf.child);
      }
    });

    it('reports a port nobody listens on as kubelet does', async () => {
      const pf = await portForward(closedPort, t.pf);
      try {
        await execFileP('curl', ['-sS', '--max-time', '10', `http://127.0.0.1:${pf.port}/`]).catch(() => undefined);
        const deadline = Date.now() + 10_000;
        while (!/connection refused/.test(pf.stderr()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        assert.match(pf.stderr(), new RegExp(`error forwarding port ${closedPort} to pod p-c, uid : failed to execute portforward in network namespace .*dial tcp4 127\\.0\\.0\\.1:${closedPort}: connect: connection refused`));
      } finally {
        await stop(pf.child);
      }
    });
  });
}
