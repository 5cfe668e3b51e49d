// The kubelet with the netns runtime, driven by the real kubectl: a control plane and one agent run in a
// node network namespace this test makes (sknp-nrt-*); pods get their own namespaces on its cni0.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../test/support/ports.js';
import { claimAddressBlock, type AddressBlock } from '../../test/support/address-block.js';

const canNetns = process.platform === 'linux' && process.getuid?.() === 0;
const id = randomBytes(3).toString('hex');
const node = `sknp-nrt-${id}`;
const prefix = `sknp-${id}-`;
const childFile = fileURLToPath(new URL('../../test/support/node-runtime-child.ts', import.meta.url));

function ours(): string[] {
  return (fs.existsSync('/run/netns') ? fs.readdirSync('/run/netns') : []).filter((n) => n.startsWith(prefix));
}

describe('kubelet with the netns runtime', { skip: canNetns ? false : 'needs root on Linux (ip netns, veth, bridge)' }, () => {
  let child: ChildProcess | undefined;
  let kubeconfig = '';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sknp-nrt-'));

  async function start(): Promise<void> {
    const env: NodeJS.ProcessEnv = { ...process.env, SKNP_NETNS_PREFIX: prefix, SKNP_DATA_DIR: dataDir };
    delete env['NODE_TEST_CONTEXT'];
    const c = spawn('nsenter', [`--net=/run/netns/${node}`, '--', process.execPath, '--import', 'tsx', childFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let out = '';
    c.stderr!.on('data', (d) => (out += d));
    kubeconfig = await new Promise<string>((resolve, reject) => {
      c.stdout!.on('data', (d: Buffer) => {
        const m = /READY (\S+)/.exec(String(d));
        if (m) resolve(m[1]!);
      });
      c.once('exit', (code) => reject(new Error(`agent exited ${code}: ${out}`)));
    });
  }

  function kubectl(...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile('nsenter', [`--net=/run/netns/${node}`, '--', 'kubectl', '--kubeconfig', kubeconfig, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`));
        else resolve(stdout);
      });
    });
  }

  const podIP = async (name: string) => (await kubectl('get', 'pod', name, '-o', 'jsonpath={.status.podIP}')).trim();

  before(async () => {
    execFileSync('ip', ['netns', 'add', node]);
    execFileSync('ip', ['-n', node, 'link', 'set', 'lo', 'up']);
    await start();
  });

  after(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    for (const n of ours()) execFileSync('ip', ['netns', 'delete', n]);
    execFileSync('ip', ['netns', 'delete', node]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs pods in their own namespaces: pod IPs, resolv.conf, hosts, hostname, pod to pod, 137', async () => {
    await kubectl('run', 'web', '--image=nginx');
    await kubectl('run', 'web2', '--image=nginx');
    await kubectl('run', 'bb', '--image=busybox', '--', 'sh', '-c', "trap '' TERM; hostname; sleep 3600");
    await kubectl('wait', '--for=condition=Ready', 'pod/web', 'pod/web2', 'pod/bb', '--timeout=60s');
    const ips = await Promise.all(['web', 'web2', 'bb'].map(podIP));
    for (const ip of ips) assert.match(ip, /^10\.77\.0\.\d+$/);
    assert.equal(new Set(ips).size, 3);
    assert.equal(await kubectl('exec', 'bb', '--', 'cat', '/etc/resolv.conf'), 'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 127.43.0.10\noptions ndots:5\n');
    assert.equal((await kubectl('exec', 'bb', '--', 'hostname')).trim(), 'bb');
    assert.match(await kubectl('exec', 'web', '--', 'cat', '/etc/hosts'), new RegExp(`^# Kubernetes-managed hosts file\\.\\n[^]*\\n${ips[0]!.replace(/\./g, '\\.')}\\tweb\\n$`));
    assert.equal((await kubectl('logs', 'bb')).trim(), 'bb');
    // both nginx pods listen on 0.0.0.0:80; bb reaches each by pod IP and nginx sees bb's IP
    for (const ip of ips.slice(0, 2)) {
      await waitFor(`nginx on ${ip}:80`, async () => (await kubectl('exec', 'bb', '--', 'wget', '-qO-', '-T', '2', `${ip}:80`).catch(() => '')).includes('nginx'), 10_000);
    }
    assert.match(await kubectl('logs', 'web'), new RegExp(`${ips[2]!.replace(/\./g, '\\.')} - - .*"GET / HTTP/1.1" 200`));
    // PID 1 without a SIGTERM handler ignores it: the liveness kill SIGKILLs after the grace period
    const live = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'live' }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'], livenessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 1 } }] } };
    const file = path.join(dataDir, 'live.json');
    fs.writeFileSync(file, JSON.stringify(live));
    await kubectl('apply', '-f', file);
    const code = await waitFor('the liveness kill', async () => (await kubectl('get', 'pod', 'live', '-o', 'jsonpath={.status.containerStatuses[0].lastState.terminated.exitCode}')).trim() || undefined, 20_000);
    assert.equal(code, '137');
    await kubectl('delete', 'pod', 'bb', 'live', '--grace-period=1', '--wait=true');
    assert.equal(ours().length, 2, 'the deleted pods\' netns are gone');
  });

  it('after kill -9 of the agent, a restart removes sandboxes of pods that no longer exist', async () => {
    const before = ours();
    child!.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    const orphan = `${prefix}0123456789`;
    execFileSync('ip', ['netns', 'add', orphan]);
    await start();
    await waitFor('the orphaned netns removed', () => !ours().includes(orphan), 10_000);
    await kubectl('wait', '--for=condition=Ready', 'pod/web', 'pod/web2', '--timeout=60s');
    assert.deepEqual(ours().sort(), before.sort(), 'the existing pods have their namespaces again');
    await kubectl('delete', 'pod', 'web', 'web2', '--grace-period=1', '--wait=true');
    assert.deepEqual(ours(), []);
  });
});

for (const isolation of ['none', 'auto'] as const)
describe(`kubelet with the loopback runtime, isolation ${isolation}`, () => {
  let child: ChildProcess | undefined;
  let kubeconfig = '';
  let block: AddressBlock | undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sknp-nrt-loop-'));

  before(async () => {
    block = await claimAddressBlock();
    const env: NodeJS.ProcessEnv = { ...process.env, SKNP_NETWORK: 'loopback', SKNP_ISOLATION: isolation, SKNP_OCTET: String(block.octet), SKNP_DATA_DIR: dataDir };
    delete env['NODE_TEST_CONTEXT'];
    const c = spawn(process.execPath, ['--import', 'tsx', childFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let err = '';
    c.stderr!.on('data', (d) => (err += d));
    kubeconfig = await new Promise<string>((resolve, reject) => {
      c.stdout!.on('data', (d: Buffer) => {
        const m = /READY (\S+)/.exec(String(d));
        if (m) resolve(m[1]!);
      });
      c.once('exit', (code) => reject(new Error(`agent exited ${code}: ${err}`)));
    });
  });

  after(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    await block?.release();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const kubectl = (...args: string[]) =>
    new Promise<string>((resolve, reject) => {
      execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout)));
    });

  it('as root: own mount and UTS namespace, the resolv.conf with the cluster DNS, the pod hostname', { skip: isolation === 'none' || !canNetns ? 'only as root with isolation auto' : false }, async () => {
    await kubectl('run', 'ns', '--image=busybox', '--', 'sleep', '3600');
    await kubectl('wait', '--for=condition=Ready', 'pod/ns', '--timeout=60s');
    const dnsIP = (await kubectl('get', 'svc', '-n', 'kube-system', 'kube-dns', '-o', 'jsonpath={.spec.clusterIP}')).trim();
    const resolv = await kubectl('exec', 'ns', '--', 'cat', '/etc/resolv.conf');
    assert.match(resolv, new RegExp(`^search default\\.svc\\.cluster\\.local svc\\.cluster\\.local cluster\\.local.*\\nnameserver ${dnsIP.replace(/\./g, '\\.')}\\noptions ndots:5\\n$`));
    assert.equal((await kubectl('exec', 'ns', '--', 'hostname')).trim(), 'ns');
    assert.notEqual(os.hostname(), 'ns');
    // a short name resolves through the cluster DNS named in the pod's own resolv.conf
    const apiIP = (await kubectl('get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}')).trim();
    assert.match(await kubectl('exec', 'ns', '--', 'nslookup', 'kubernetes.default'), new RegExp(`Address: ${apiIP.replace(/\./g, '\\.')}`));
    await kubectl('delete', 'pod', 'ns', '--grace-period=0', '--force', '--wait=true');
  });

  it('without namespaces: sets LOCALDOMAIN/RES_OPTIONS and says in a Warning event what it could not do', { skip: isolation === 'auto' ? 'isolation none only' : false }, async () => {
    await kubectl('run', 'plain', '--image=busybox', '--', 'sleep', '3600');
    await kubectl('wait', '--for=condition=Ready', 'pod/plain', '--timeout=60s');
    const env = await kubectl('exec', 'plain', '--', 'env');
    assert.match(env, /^LOCALDOMAIN=default\.svc\.cluster\.local svc\.cluster\.local cluster\.local( |$)/m);
    assert.match(env, /^RES_OPTIONS=ndots:5$/m);
    const events = await waitFor('the Warning event', async () => {
      const out = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=plain,type=Warning', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}');
      return out.includes('PodIsolationUnavailable') ? out : undefined;
    });
    assert.match(events, /PodIsolationUnavailable: Containers share the node's mount and UTS namespaces \(disabled\): \/etc\/resolv\.conf, \/etc\/hosts and the hostname are the node's/);
    await kubectl('delete', 'pod', 'plain', '--grace-period=0', '--force', '--wait=true');
  });
});
