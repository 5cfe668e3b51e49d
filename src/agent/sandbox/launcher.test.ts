import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { enterArgv, launcherArgv } from './launcher.js';
import { NetnsSandboxRuntime, vethName } from './netns.js';

const names = (argv: string[]) => argv.map((a) => (a.startsWith('/') ? path.basename(a) : a));

test('a netns container: joins the pod netns, unshares mount/UTS/PID, mounts, then env -i with the env in order', () => {
  const argv = names(launcherArgv({ netnsPath: '/run/netns/p1', pid: true, hostname: 'web-0', user: false, mounts: [{ containerPath: '/data', hostPath: '/v', readOnly: true }] }, { PATH: '/bin', POD_IP: '10.42.0.2' }));
  // busybox's unshare where the machine has it (util-linux 2.38's reports a SIGKILLed PID 1 as exit 1)
  const busybox = spawnSync('busybox', ['unshare', '--help'], { stdio: 'ignore' }).status === 0;
  const unshare = busybox ? ['busybox', 'unshare'] : ['unshare'];
  assert.deepEqual(argv.slice(0, 3 + unshare.length), ['nsenter', '--net=/run/netns/p1', '--', ...unshare]);
  // PID 1 dies with its launcher: util-linux's --kill-child, or for busybox's the same parent-death signal set by setpriv
  const pidFlags = busybox ? ['--pid', '-f', '--mount-proc', '--', 'setpriv', '--pdeathsig', 'KILL'] : ['--pid', '--fork', '--mount-proc', '--kill-child'];
  assert.deepEqual(argv.slice(3 + unshare.length, argv.indexOf('sh')), ['--mount', '--propagation', 'private', '--uts', ...pidFlags, '--']);
  const rest = argv.slice(argv.indexOf('skiff-init'));
  assert.deepEqual(rest, ['skiff-init', 'web-0', 'v', 'data', 'ro', '--', 'env', '-i', '--', 'PATH=/bin', 'POD_IP=10.42.0.2']);
  assert.deepEqual(names(enterArgv(42, { netnsPath: '/run/netns/p1', pid: true, hostname: 'web-0', user: false, mounts: [] })), ['nsenter', '-t', '42', '--mount', '--uts', '--net', '--pid', '--']);
});

test('loopback containers: no netns and no PID namespace; unprivileged adds a user namespace', () => {
  const argv = names(launcherArgv({ pid: false, hostname: 'a', user: true, mounts: [] }, {}));
  assert.deepEqual(argv.slice(0, argv.indexOf('sh')), ['unshare', '--user', '--map-root-user', '--mount', '--propagation', 'private', '--uts', '--']);
  assert.deepEqual(names(enterArgv(7, { pid: false, hostname: 'a', user: true, mounts: [] })), ['nsenter', '-t', '7', '--user', '--preserve-credentials', '--mount', '--uts', '--']);
});

test('pod netns and veth names', () => {
  const rt = new NetnsSandboxRuntime({ netnsPrefix: 'skiff-c1-n1-', log: () => undefined });
  assert.equal(rt.netnsName('0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'), 'skiff-c1-n1-0f1e2d3c4b');
  assert.match(vethName('skiff-c1-n1-0f1e2d3c4b'), /^veth[0-9a-f]{8}$/);
  assert.throws(() => new NetnsSandboxRuntime({ netnsPrefix: 'bad/prefix', log: () => undefined }), /invalid netns prefix "bad\/prefix"/);
});
