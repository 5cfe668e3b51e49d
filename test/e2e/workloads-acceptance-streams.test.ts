/**
 * Issue 3's acceptance, part 3: the real kubectl's streams against REAL pods through the API server and
 * the kubelet — `logs -f` streaming lines as the container writes them, `exec` (WebSocket and SPDY,
 * exit codes), `exec -it` and `run -it --rm` driven through a real pty (util-linux `script`).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { mainProcess, podProcesses, stillRunning } from '../support/pod-processes.js';
import { waitFor } from '../support/ports.js';

const seeds = resolve(import.meta.dirname, '..', 'fixtures', 'seeds');

/** A child whose output is collected; `exit` resolves with its code. */
interface Running {
  child: ChildProcess;
  out: () => string;
  exit: Promise<number | null>;
}

describe('kubectl logs -f, exec, exec -it and run -it --rm against real pods (issue 3)', () => {
  let c: TestCluster;
  const children: ChildProcess[] = [];
  const everyPid = new Set<number>();
  const env = () => ({ ...process.env, KUBECONFIG: c.kubeconfig, HOME: c.home, TERM: 'xterm' });
  const pod = async (name: string) => {
    const p = JSON.parse(await c.k('get', 'pod', name, '-o', 'json'));
    const info = { uid: p.metadata.uid as string, ip: p.status.podIP as string };
    podProcesses(info).forEach((pid) => everyPid.add(pid));
    return info;
  };
  const start = (cmd: string, args: string[]): Running => {
    const child = spawn(cmd, args, { env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stdin!.on('error', () => {});
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    return { child, out: () => out, exit };
  };
  /** A command line run on a fresh pty, as a user's terminal would run it; stdin stays open for keystrokes. */
  const onPty = (commandLine: string) => start('script', ['-qfec', commandLine, '/dev/null']);

  before(async () => {
    c = await TestCluster.start({ extraArgs: ['--disable', 'traefik'] });
    await c.kubectl(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: logger}\nspec:\n  containers:\n  - {name: c, image: busybox, command: [sh, -c, "trap \\"echo second\\" USR1; trap \\"echo third >&2\\" USR2; echo first; while :; do sleep 3600 & wait $!; done"]}\n' });
    await c.k('apply', '-f', resolve(seeds, '000-nodeport.yaml'));
    await c.k('wait', '--for=condition=Ready', 'pod/logger', 'pod/pod-nginx', '--timeout=60s');
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await c?.destroy();
    assert.deepEqual(stillRunning([...everyPid]), [], 'no pod process outlives the cluster');
  });

  it('logs -f streams the lines a running container writes after it started following', async () => {
    const p = await pod('logger');
    const follow = start('kubectl', ['logs', '-f', 'logger']);
    await waitFor('the first line', () => follow.out() === 'first\n' || undefined);
    const main = mainProcess(p);
    assert.ok(main, 'the container main process');
    assert.match(readFileSync(`/proc/${main}/cmdline`, 'latin1'), /^sh\0-c\0trap/);
    // The container's shell traps USR1/USR2 and writes a line to stdout/stderr.
    process.kill(main, 'SIGUSR1');
    await waitFor('the second line while following', () => follow.out() === 'first\nsecond\n' || undefined);
    process.kill(main, 'SIGUSR2');
    await waitFor('a stderr line too', () => follow.out() === 'first\nsecond\nthird\n' || undefined);
    assert.equal(follow.child.exitCode, null, 'still following');
    follow.child.kill('SIGTERM');
    await follow.exit;
    assert.equal(await c.k('logs', 'logger', '--tail=1'), 'third\n');
  });

  it("exec -- sh -c 'echo $POD_IP' prints the pod IP (nginx and busybox pods, WebSocket and SPDY)", async () => {
    for (const name of ['pod-nginx', 'logger']) {
      const { ip } = await pod(name);
      assert.equal(await c.k('exec', name, '--', 'sh', '-c', 'echo $POD_IP'), `${ip}\n`, name);
      const spdy = await c.kubectl(['exec', name, '--', 'sh', '-c', 'echo $POD_IP'], { env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' } });
      assert.deepEqual([spdy.code, spdy.stdout], [0, `${ip}\n`], `${name} over SPDY: ${spdy.stderr}`);
    }
    const stdin = await c.kubectl(['exec', '-i', 'logger', '--', 'sh', '-c', 'wc -l'], { input: 'a\nb\nc\n' });
    assert.equal(stdin.stdout.trim(), '3');
  });

  it('a non-zero exit code from exec propagates (WebSocket and SPDY)', async () => {
    for (const websockets of ['true', 'false']) {
      const r = await c.kubectl(['exec', 'logger', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7'], { env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: websockets } });
      assert.equal(r.code, 7, `websockets=${websockets}`);
      assert.equal(r.stdout, 'out\n');
      assert.equal(r.stderr, 'err\ncommand terminated with exit code 7\n');
    }
    const missing = await c.kubectl(['exec', 'logger', '--', 'no-such-command']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no-such-command/);
  });

  it('exec -it through a pty: an interactive shell on /dev/pts, its exit code propagates', async () => {
    const { ip } = await pod('pod-nginx');
    const shell = onPty('kubectl exec -it pod-nginx -- sh');
    shell.child.stdin!.write('echo "tty=$(tty) ip=$POD_IP"\n');
    const line = await waitFor('the answer', () => /tty=(\/dev\/pts\/\d+) ip=(\S+)\r\n/.exec(shell.out()) ?? undefined);
    assert.equal(line[2], ip);
    shell.child.stdin!.write('stty size\n');
    await waitFor('a terminal size', () => /\r\n\d+ \d+\r\n/.test(shell.out()) || undefined);
    shell.child.stdin!.write('exit 3\n');
    assert.equal(await shell.exit, 3, shell.out());
    assert.match(shell.out(), /command terminated with exit code 3/);
  });

  it("run -it --rm --image=busybox --restart=Never t -- sh -c 'echo hi' prints hi and deletes the pod", async () => {
    const run = onPty(`kubectl run -it --rm --image=busybox --restart=Never t -- sh -c 'echo hi'`);
    assert.equal(await run.exit, 0, run.out());
    const out = run.out().replace(/\r/g, '');
    assert.match(out, /^hi$/m);
    assert.match(out, /^pod "t" deleted/m);
    const r = await c.kubectl(['get', 'pod', 't']);
    assert.equal(r.stderr, 'Error from server (NotFound): pods "t" not found\n');
  });
});
