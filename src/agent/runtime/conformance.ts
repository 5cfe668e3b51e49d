/**
 * One conformance suite for every PodSandboxRuntime + ContainerRuntime pair (node:test). It drives the
 * runtime as the kubelet does — RunPodSandbox, the pod's hosts/resolv.conf files as mounts, containers,
 * exec, stop — and checks what a pod sees. Features a runtime cannot have (a loopback pod has no own
 * network namespace) are skipped with the reason.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { formatResolvConf, podDNSConfig } from '../dns-config.js';
import { managedHostsFile, podHostnameAndDomain } from '../kubelet/pod-files.js';
import { cidrContains, parseCIDR } from '../../util/net.js';
import { waitFor } from '../../util/testing.js';
import type { ContainerConfig, NodeRuntime, OciImage, PodSandbox, RuntimeContainer } from './cri.js';

/** The programs the suite runs in containers: the host's node by default, an image's own for `oci`. */
export interface ConformancePrograms {
  /** A TCP server on host:port that answers every connection with `reply`, printing `listening` once it does. */
  server(host: string, port: number, reply: string): string[];
  /** Prints what host:port sends (exit 1 with the error on stderr if it cannot connect). */
  client(host: string, port: number): string[];
  /** Runs until killed. */
  idle: string[];
  /** Prints `ready`, then on SIGTERM prints `bye` and exits 0. */
  graceful: string[];
  /** The containers' base environment (PATH). */
  env: Record<string, string>;
}

export interface ConformanceTarget {
  name: string;
  runtime: NodeRuntime;
  podCIDR: string;
  nodeIP: string;
  /** netns: the pod netns name prefix, to check nothing is left. */
  netnsPrefix?: string;
  /** `oci` runtimes: the image every container runs (the programs must be in it). */
  image?: OciImage;
  programs?: ConformancePrograms;
}

const NODE = process.execPath;
const CLUSTER_DNS = '10.96.0.10';
const DOMAIN = 'cluster.local';

/** A TCP server that answers every connection with `reply` and closes. */
function serverArgv(host: string, port: number, reply: string): string[] {
  return [NODE, '-e', `require('net').createServer((s)=>s.end(${JSON.stringify(reply)})).listen(${port},${JSON.stringify(host)},()=>console.log('listening'))`];
}

/** A client that prints what host:port answers (exit 1 on error). */
function clientArgv(host: string, port: number): string[] {
  return [NODE, '-e', `const s=require('net').connect(${port},${JSON.stringify(host)});let d='';s.on('data',(c)=>d+=c);s.on('end',()=>{process.stdout.write(d)});s.on('error',(e)=>{console.error(e.code);process.exit(1)})`];
}

const nodePrograms: ConformancePrograms = {
  server: serverArgv,
  client: clientArgv,
  idle: [NODE, '-e', 'setInterval(()=>{},1000)'],
  graceful: [NODE, '-e', "process.on('SIGTERM',()=>{console.log('bye');process.exit(0)});console.log('ready');setInterval(()=>{},1000)"],
  env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
};

function dial(host: string, port: number): Promise<string> {
  return readAll(net.connect({ host, port }));
}

function readAll(s: net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let d = '';
    s.on('data', (c) => (d += c));
    s.on('end', () => resolve(d));
    s.on('error', reject);
  });
}

export function sandboxConformance(target: () => Promise<ConformanceTarget>): void {
  let t: ConformanceTarget;
  let dir: string;
  const sandboxes: PodSandbox[] = [];
  const containers: RuntimeContainer[] = [];
  let seq = 0;
  const netns = () => t.runtime.network === 'netns';
  const isolated = () => t.runtime.containers.isolation.mounts;
  const prog = () => t.programs ?? nodePrograms;
  const image = () => (t.image ? { image: t.image } : {});

  /** A pod as the kubelet sets it up: sandbox, then /etc/hosts and /etc/resolv.conf as mounts. */
  async function pod(name: string, extra: Partial<NonNullable<Pod['spec']>> = {}) {
    const uid = `${(++seq).toString(16).padStart(8, '0')}-0000-4000-8000-${Math.random().toString(16).slice(2, 14).padEnd(12, '0')}`;
    const p: Pod = { metadata: { name, namespace: 'conf', uid }, spec: { containers: [], ...extra } };
    const { hostname, domain } = podHostnameAndDomain(p, DOMAIN);
    const sb = await t.runtime.sandboxes.runPodSandbox({ uid, namespace: 'conf', name, hostname, hostNetwork: extra.hostNetwork ?? false });
    sandboxes.push(sb);
    const podDir = path.join(dir, uid);
    fs.mkdirSync(podDir, { recursive: true });
    const hosts = managedHostsFile({ podIPs: [sb.ip], hostname, domain, hostAliases: p.spec!.hostAliases });
    const resolv = formatResolvConf(podDNSConfig(p, { clusterDNS: [CLUSTER_DNS], clusterDomain: DOMAIN }).config);
    fs.writeFileSync(path.join(podDir, 'hosts'), hosts);
    fs.writeFileSync(path.join(podDir, 'resolv.conf'), resolv);
    const mounts: ContainerConfig['mounts'] = [
      { containerPath: '/etc/hosts', hostPath: path.join(podDir, 'hosts'), readOnly: false },
      { containerPath: '/etc/resolv.conf', hostPath: path.join(podDir, 'resolv.conf'), readOnly: false },
    ];
    const run = async (cname: string, argv: string[]) => {
      const c = t.runtime.containers.createContainer(sb, { name: cname, argv, env: { ...prog().env, POD_IP: sb.ip }, cwd: podDir, logPath: path.join(podDir, `${cname}.log`), mounts, ...image() });
      containers.push(c);
      await t.runtime.containers.startContainer(c);
      return c;
    };
    const log = (cname: string) => fs.readFileSync(path.join(podDir, `${cname}.log`), 'utf8');
    const waitLog = (cname: string, text: string) => waitFor(`${text} in ${cname}'s log`, () => (fs.existsSync(path.join(podDir, `${cname}.log`)) && log(cname).includes(text) ? true : undefined));
    const exec = async (c: RuntimeContainer, argv: string[]) => {
      const r = await t.runtime.containers.execSync(c, argv, { timeoutMs: 5000 });
      return r;
    };
    return { sb, hostname, hosts, resolv, run, log, waitLog, exec };
  }

  describe('pod sandbox conformance', () => {
    before(async () => {
      t = await target();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-conformance-'));
      await t.runtime.sandboxes.updateRuntimeConfig({ podCIDR: t.podCIDR, nodeIP: t.nodeIP });
    });
    after(async () => {
      for (const c of containers) await t.runtime.containers.removeContainer(c).catch(() => undefined);
      for (const s of sandboxes) await t.runtime.sandboxes.removePodSandbox(s.id).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('gives a pod an IP from the podCIDR and reports it ready', async () => {
      const p = await pod('ip');
      assert.ok(cidrContains(parseCIDR(t.podCIDR)!, p.sb.ip), `${p.sb.ip} in ${t.podCIDR}`);
      const st = t.runtime.sandboxes.podSandboxStatus(p.sb.id);
      assert.equal(st?.state, 'SANDBOX_READY');
      assert.equal(st?.ip, p.sb.ip);
      if (netns()) assert.ok(p.sb.netnsPath && fs.existsSync(p.sb.netnsPath), 'the pod has a network namespace');
    });

    it('lets two pods both listen on 0.0.0.0:80', { skip: false }, async (ctx) => {
      if (!netns()) return ctx.skip('loopback pods share the host network: each binds its own POD_IP instead');
      const a = await pod('web-a');
      const b = await pod('web-b');
      await a.run('web', prog().server('0.0.0.0', 80, 'from-a'));
      await b.run('web', prog().server('0.0.0.0', 80, 'from-b'));
      await a.waitLog('web', 'listening');
      await b.waitLog('web', 'listening');
      assert.equal(await dial(a.sb.ip, 80), 'from-a');
      assert.equal(await dial(b.sb.ip, 80), 'from-b');
      assert.equal(await readAll(t.runtime.containers.portForward(b.sb, 80)), 'from-b', 'port-forward dials the pod');
    });

    it('lets the containers of one pod talk over localhost, and no other pod', async () => {
      const port = 18000 + (process.pid % 1000);
      const a = await pod('local-a');
      await a.run('server', prog().server(netns() ? '127.0.0.1' : a.sb.ip, port, 'hello-local'));
      await a.waitLog('server', 'listening');
      const client = await a.run('client', prog().idle);
      const r = await a.exec(client, prog().client(netns() ? '127.0.0.1' : a.sb.ip, port));
      assert.equal(r.stdout, 'hello-local', r.stderr);
      if (netns()) {
        const b = await pod('local-b');
        const other = await b.run('idle', prog().idle);
        const rb = await b.exec(other, prog().client('127.0.0.1', port));
        assert.notEqual(rb.exitCode, 0, 'another pod must not reach it over localhost');
        assert.match(rb.stderr, /ECONNREFUSED|Connection refused/);
      }
    });

    it('lets pod A reach pod B by its IP', async () => {
      const port = 19000 + (process.pid % 1000);
      const a = await pod('reach-a');
      const b = await pod('reach-b');
      await b.run('server', prog().server(netns() ? '0.0.0.0' : b.sb.ip, port, 'it-is-b'));
      await b.waitLog('server', 'listening');
      const ca = await a.run('idle', prog().idle);
      const r = await a.exec(ca, prog().client(b.sb.ip, port));
      assert.equal(r.stdout, 'it-is-b', r.stderr);
    });

    it('gives containers the pod hostname, /etc/hosts and /etc/resolv.conf; exec sees them', async (ctx) => {
      if (!isolated()) return ctx.skip(`no mount/UTS namespace here: ${t.runtime.containers.isolation.reason}`);
      const p = await pod('named', { hostname: 'x'.repeat(62) + '-y', subdomain: 'sub', hostAliases: [{ ip: '10.1.2.3', hostnames: ['foo.remote', 'bar.remote'] }] });
      assert.equal(p.hostname, 'x'.repeat(62), 'truncated to 63 without the trailing dash');
      const c = await p.run('main', ['sh', '-c', 'hostname; cat /etc/resolv.conf; echo pid=$$; sleep 1000']);
      await p.waitLog('main', 'pid=');
      const lines = p.log('main').split('\n').map((l) => l.replace(/^\S+ stdout [FP] /, ''));
      assert.equal(lines[0], p.hostname);
      assert.equal((await p.exec(c, ['hostname'])).stdout.trim(), p.hostname);
      assert.equal((await p.exec(c, ['cat', '/etc/hosts'])).stdout, p.hosts);
      assert.equal((await p.exec(c, ['cat', '/etc/resolv.conf'])).stdout, p.resolv);
      assert.equal(p.resolv, `search conf.svc.${DOMAIN} svc.${DOMAIN} ${DOMAIN}\nnameserver ${CLUSTER_DNS}\noptions ndots:5\n`);
      assert.match(p.hosts, new RegExp(`^# Kubernetes-managed hosts file\\.\\n127\\.0\\.0\\.1\\tlocalhost\\n[^]*\\n${p.sb.ip.replace(/\./g, '\\.')}\\t${p.hostname}\\.sub\\.conf\\.svc\\.cluster\\.local\\t${p.hostname}\\n\\n# Entries added by HostAliases\\.\\n10\\.1\\.2\\.3\\tfoo\\.remote\\tbar\\.remote\\n$`));
      if (netns()) assert.ok(lines.includes('pid=1'), 'the container command is PID 1 in its namespace');
      assert.notEqual(fs.readFileSync('/etc/hosts', 'utf8'), p.hosts, "the node's /etc/hosts is untouched");
    });

    it('reports exit code 137 when a process ignoring SIGTERM is killed after the grace period', async () => {
      const p = await pod('stubborn');
      const c = await p.run('main', ['sh', '-c', "trap '' TERM; echo ready; while :; do sleep 0.05; done"]);
      await p.waitLog('main', 'ready');
      const started = Date.now();
      const exit = await t.runtime.containers.stopContainer(c, 300);
      assert.equal(exit?.exitCode, 137);
      assert.ok(Date.now() - started >= 250, 'SIGKILL only after the grace period');
      assert.deepEqual(c.processes(), []);
    });

    it('delivers SIGTERM to a container that handles it: it exits with its own code', async () => {
      const p = await pod('graceful');
      const c = await p.run('main', prog().graceful);
      await p.waitLog('main', 'ready');
      const exit = await t.runtime.containers.stopContainer(c, 10_000);
      assert.equal(exit?.exitCode, 0);
      assert.match(p.log('main'), /stdout F bye/);
    });

    it('logs stdout and stderr as CRI records; exec reports the command exit code and both streams', async () => {
      const p = await pod('streams');
      const c = await p.run('main', ['sh', '-c', 'echo to-out; echo to-err >&2; exec sleep 1000']);
      await p.waitLog('main', 'to-err');
      assert.match(p.log('main'), /^\S+Z stdout F to-out$/m);
      assert.match(p.log('main'), /^\S+Z stderr F to-err$/m);
      const r = await p.exec(c, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
      assert.deepEqual({ code: r.exitCode, out: r.stdout, err: r.stderr, timedOut: r.timedOut }, { code: 3, out: 'out\n', err: 'err\n', timedOut: false });
      const slow = await t.runtime.containers.execSync(c, ['sleep', '30'], { timeoutMs: 200 });
      assert.equal(slow.timedOut, true, 'an exec past its timeout is killed');
      const missing = await p.exec(c, ['no-such-command-here']);
      assert.notEqual(missing.exitCode, 0);
      assert.match(missing.stderr, /executable file not found in \$PATH|not found/);
    });

    it('rejects a container whose command does not exist with StartError', async () => {
      const p = await pod('missing');
      await assert.rejects(p.run('main', ['no-such-command-here']), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'StartError');
        assert.equal(err.message, 'exec: "no-such-command-here": executable file not found in $PATH');
        return true;
      });
    });

    it('bind-mounts a readOnly volume read-only', async (ctx) => {
      if (!isolated()) return ctx.skip(`no mount namespace here: ${t.runtime.containers.isolation.reason}`);
      const vol = fs.mkdtempSync(path.join(dir, 'vol-'));
      fs.writeFileSync(path.join(vol, 'index.html'), 'from-volume');
      const p = await pod('volume');
      const c = await p.run('main', ['sleep', '1000']);
      // the pod's mounts come from pod(); add a read-only one for this container's exec check
      const c2 = t.runtime.containers.createContainer(p.sb, { name: 'ro', argv: ['sleep', '1000'], env: prog().env, logPath: path.join(dir, `${p.sb.config.uid}-ro.log`), mounts: [{ containerPath: '/mnt', hostPath: vol, readOnly: true }], ...image() });
      containers.push(c2);
      await t.runtime.containers.startContainer(c2);
      assert.equal((await p.exec(c2, ['cat', '/mnt/index.html'])).stdout, 'from-volume');
      const w = await p.exec(c2, ['sh', '-c', 'echo x > /mnt/new']);
      assert.notEqual(w.exitCode, 0);
      assert.match(w.stderr, /Read-only file system/);
      assert.equal((await p.exec(c, ['ls', '/mnt/index.html'])).exitCode === 0, fs.existsSync('/mnt/index.html'), 'the other container does not see the mount');
    });

    it('runs a hostNetwork pod with the node IP', async (ctx) => {
      if (!netns()) return ctx.skip('loopback pods are all on the host network');
      const p = await pod('hostnet', { hostNetwork: true });
      assert.equal(p.sb.ip, t.nodeIP);
      assert.equal(p.sb.netnsPath, undefined);
    });

    it('removes everything when the pods go, and orphans of a previous run', async () => {
      for (const c of containers.splice(0)) await t.runtime.containers.removeContainer(c);
      for (const s of sandboxes.splice(0)) {
        await t.runtime.sandboxes.stopPodSandbox(s.id);
        await t.runtime.sandboxes.removePodSandbox(s.id);
        assert.equal(t.runtime.sandboxes.podSandboxStatus(s.id), undefined);
      }
      if (t.netnsPrefix) {
        const orphan = `${t.netnsPrefix}deadbeef00`;
        execFileSync('ip', ['netns', 'add', orphan]);
        assert.deepEqual(await t.runtime.sandboxes.removeOrphanedSandboxes(new Set()), [orphan]);
        const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith(t.netnsPrefix!));
        assert.deepEqual(left, []);
        const veths = execFileSync('ip', ['-o', 'link', 'show', 'type', 'veth'], { encoding: 'utf8' }).trim();
        assert.equal(veths, '', 'no veth left in the node namespace');
      }
      // every IP went back: the next pod gets the first one again is not required, but a fresh one must come
      const p = await pod('after');
      assert.ok(cidrContains(parseCIDR(t.podCIDR)!, p.sb.ip));
    });
  });
}
