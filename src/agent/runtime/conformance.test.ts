// The sandbox conformance suite against the loopback runtime (with and without namespaces) and, as root,
// the netns runtime inside a node network namespace this test makes (sknp-node-*) and removes again.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ProcessContainerRuntime } from '../sandbox/containers.js';
import { detectLoopbackIsolation } from '../sandbox/detect.js';
import { LoopbackSandboxRuntime } from '../sandbox/loopback.js';
import { sandboxConformance } from './conformance.js';
import { findOciBinary } from './oci/cli.js';
import { busyboxPath } from '../../../test/support/busybox-rootfs.js';

describe('loopback runtime, namespaces where the kernel allows them', () => {
  sandboxConformance(async () => {
    const { mode, why } = detectLoopbackIsolation();
    return {
      name: 'loopback',
      podCIDR: '127.77.0.0/24',
      nodeIP: '127.0.0.1',
      runtime: { network: 'loopback', sandboxes: new LoopbackSandboxRuntime(), containers: new ProcessContainerRuntime({ mode, reason: why }), description: 'loopback' },
    };
  });
});

describe('loopback runtime, plain processes', () => {
  sandboxConformance(async () => ({
    name: 'loopback-plain',
    podCIDR: '127.78.0.0/24',
    nodeIP: '127.0.0.1',
    runtime: { network: 'loopback', sandboxes: new LoopbackSandboxRuntime(), containers: new ProcessContainerRuntime({ mode: 'none', reason: 'disabled' }), description: 'loopback' },
  }));
});

/** Without the parent's test-runner context, so the child runs its own tests. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['NODE_TEST_CONTEXT'];
  return env;
}

const child = fileURLToPath(new URL('../../../test/support/sandbox-conformance-child.ts', import.meta.url));

/** Runs test/support/sandbox-conformance-child.ts under `wrapper` (nsenter, setpriv) and collects its TAP output. */
function runChild(wrapper: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const [file, ...args] = [...wrapper, process.execPath, '--import', 'tsx', '--test', '--test-reporter=tap', child];
    const p = spawn(file!, args, { env: { ...childEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (d) => (output += d));
    p.stderr.on('data', (d) => (output += d));
    p.on('close', (code) => resolve({ code, output }));
  });
}

const canNetns = process.platform === 'linux' && process.getuid?.() === 0;

for (const mode of ['netns', 'oci'] as const) {
describe(`${mode} runtime in a node network namespace`, () => {
  it('passes the conformance suite', { timeout: 180_000 }, async (t) => {
    if (!canNetns) return t.skip('needs root on Linux (ip netns, veth, bridge)');
    if (mode === 'oci') {
      const why = ociSkipReason();
      if (why) return t.skip(why);
    }
    const id = randomBytes(3).toString('hex');
    const node = `sknp-node-${id}`;
    const prefix = `sknp-${id}-`;
    const cleanup = () => {
      for (const n of fs.existsSync('/run/netns') ? fs.readdirSync('/run/netns') : []) {
        if (n.startsWith(prefix)) execFileSync('ip', ['netns', 'delete', n]);
      }
      if (fs.existsSync(`/run/netns/${node}`)) execFileSync('ip', ['netns', 'delete', node]);
    };
    try {
      execFileSync('ip', ['netns', 'add', node]);
      execFileSync('ip', ['-n', node, 'link', 'set', 'lo', 'up']);
      // The child is "the agent": it runs in the node netns (network only, so its pod netns mounts are ours too).
      const out = await runChild(['nsenter', `--net=/run/netns/${node}`, '--'], { SKNP_MODE: mode, SKNP_NETNS_PREFIX: prefix });
      for (const l of out.output.split('\n').filter((x) => /^\s*(ok|not ok) /.test(x))) t.diagnostic(l.trim());
      assert.equal(out.code, 0, out.output);
      assert.match(out.output, mode === 'oci' ? /# pass (19|20)\n/ : /# pass 12\n/);
      const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith(prefix));
      assert.deepEqual(left, [], 'no pod netns left');
    } finally {
      cleanup();
    }
  });
});
}

/** Why the oci runtime cannot be tested here (no crun/runc, no static busybox), or undefined. */
function ociSkipReason(): string | undefined {
  if (!findOciBinary()) return 'neither crun nor runc is installed';
  if (!busyboxPath()) return 'no static busybox for the test image (apt-get install busybox-static)';
  return undefined;
}

describe('loopback runtime as an unprivileged user, in a user namespace', () => {
  it('passes the conformance suite', { timeout: 120_000 }, async (t) => {
    if (!canNetns) return t.skip('needs root to switch to the unprivileged user (setpriv)');
    const probe = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'unshare', '--user', '--map-root-user', '--mount', '--uts', 'true']);
    if (probe.status !== 0) return t.skip('the kernel does not allow unprivileged user namespaces here');
    const out = await runChild(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'], { SKNP_MODE: 'userns', HOME: '/tmp' });
    for (const l of out.output.split('\n').filter((x) => /^\s*(ok|not ok) /.test(x))) t.diagnostic(l.trim());
    assert.equal(out.code, 0, out.output);
    assert.match(out.output, /# pass 10\n/);
  });
});
