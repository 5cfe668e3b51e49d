/**
 * A distribution registry (Debian's `docker-registry`, registry v2) on a loopback port with htpasswd
 * auth, for pull tests that never leave the machine. Plain HTTP: skiff treats loopback registries as
 * insecure, as containerd and docker do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort, waitFor } from './ports.js';
import { runTool } from '../../src/agent/images/oci/tools.js';

const BINARY = ['/usr/bin/docker-registry', '/usr/sbin/docker-registry'].find((p) => fs.existsSync(p));
export const REGISTRY_USER = 'skiff';
export const REGISTRY_PASSWORD = 'skiff-registry-pw';
/** bcrypt of REGISTRY_PASSWORD (the registry's htpasswd accepts bcrypt only). */
const HTPASSWD = `${REGISTRY_USER}:$2b$05$IzHML1yTkCVSPBQxJ4mstOJ9IjvA/lt5kyFvp09Rh5x0JX97qRpsi\n`;

export function registrySkipReason(): string | undefined {
  return BINARY ? undefined : 'no docker-registry (Debian: apt-get install docker-registry; scripts/install-test-deps.sh does as root)';
}

export interface TestRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  /** Pushes an image archive (`oci-archive:` or `docker-archive:` source) as `host/<repoTag>`. */
  push(source: string, repoTag: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `netns`: run it (and the pushes) inside that network namespace, on its own loopback — a netns-mode
 * node's, whose agent then pulls from `127.0.0.1:PORT` as from a local registry.
 */
export async function startRegistry(dir: string, o: { netns?: string; port?: number } = {}): Promise<TestRegistry> {
  fs.mkdirSync(dir, { recursive: true });
  const inNetns = (argv: string[]) => (o.netns ? ['ip', 'netns', 'exec', o.netns, ...argv] : argv);
  // a fresh node netns has no listeners: any port of the dynamic range is free there
  const port = o.port ?? (o.netns ? netnsRegistryPort() : await freePort());
  const host = `127.0.0.1:${port}`;
  fs.writeFileSync(path.join(dir, 'htpasswd'), HTPASSWD);
  const config = [
    'version: 0.1',
    'log: {level: error}',
    `storage: {filesystem: {rootdirectory: ${JSON.stringify(path.join(dir, 'data'))}}}`,
    `http: {addr: "${host}"}`,
    `auth: {htpasswd: {realm: skiff-test, path: ${JSON.stringify(path.join(dir, 'htpasswd'))}}}`,
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'config.yml'), `${config}\n`);
  let output = '';
  const [cmd, ...args] = inNetns([BINARY!, 'serve', path.join(dir, 'config.yml')]);
  // `ip netns exec` execs the registry: the child's pid is the registry's
  const child: ChildProcess = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor(`registry on ${host} (${output})`, () => (child.exitCode !== null ? Promise.reject(new Error(`docker-registry exited: ${output}`)) : o.netns ? answers(inNetns, host) : connects(port)), 10_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    host,
    async push(source, repoTag) {
      await runTool([...inNetns(['skopeo']), 'copy', '--quiet', '--dest-tls-verify=false', '--dest-creds', `${REGISTRY_USER}:${REGISTRY_PASSWORD}`, source, `docker://${host}/${repoTag}`]);
    },
    stop,
  };
}

/** A port for a registry in a fresh node netns (chosen before the cluster starts, for its registries.yaml). */
export function netnsRegistryPort(): number {
  return 20_000 + Math.floor(Math.random() * 30_000);
}

/** The registry's /v2/ answers (401 without credentials) — checked from inside the netns. */
async function answers(inNetns: (argv: string[]) => string[], host: string): Promise<true | undefined> {
  const r = await runTool(inNetns(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '2', `http://${host}/v2/`])).catch(() => undefined);
  return r && r.stdout !== '000' ? true : undefined;
}

function connects(port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(undefined));
  });
}
