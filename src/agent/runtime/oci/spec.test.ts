// The OCI spec and user resolution of the oci runtime (no root needed): what config.json says for a pod
// container, a hostNetwork/hostPID one, and how `user` names resolve in the image's /etc/passwd and /etc/group.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { PodSandbox } from '../cri.js';
import { ociSpec } from './spec.js';
import { resolveUser } from './user.js';
import { lookPathInRootfs, resolveInRootfs } from './rootfs.js';

const sandbox = (o: Partial<PodSandbox['config']> = {}, netnsPath: string | undefined = '/run/netns/p1'): PodSandbox => ({ id: 'p1', ip: '10.1.0.5', ...(netnsPath ? { netnsPath } : {}), config: { uid: 'u1', namespace: 'ns', name: 'web', hostname: 'web', hostNetwork: false, ...o } });
const user = { uid: 1000, gid: 1000, additionalGids: [1000, 2000], home: '/home/app' };
const base = { rootfs: '/b/rootfs', argv: ['httpd', '-f'], env: { PATH: '/bin', A: 'b=c' }, cwd: '/www', user, mounts: [{ containerPath: '/etc/hosts', hostPath: '/pod/hosts', readOnly: false }, { containerPath: '/data', hostPath: '/vol', readOnly: true }], annotations: {} };

describe('oci spec', () => {
  it('joins the pod netns by path, with new mount, IPC, UTS and PID namespaces; mounts bound as given', () => {
    const s = ociSpec({ ...base, sandbox: sandbox(), cgroupsPath: '/a/skiff-oci/x/ctr' }) as { hostname: string; process: { args: string[]; env: string[]; cwd: string; user: object }; mounts: { destination: string; options: string[] }[]; linux: { namespaces: { type: string; path?: string }[]; cgroupsPath: string } };
    assert.deepEqual(s.linux.namespaces, [{ type: 'mount' }, { type: 'ipc' }, { type: 'pid' }, { type: 'uts' }, { type: 'network', path: '/run/netns/p1' }]);
    assert.equal(s.hostname, 'web');
    assert.deepEqual(s.process.args, ['httpd', '-f']);
    assert.deepEqual(s.process.env, ['PATH=/bin', 'A=b=c', 'HOME=/home/app']);
    assert.deepEqual(s.process.user, { uid: 1000, gid: 1000, additionalGids: [1000, 2000] });
    assert.equal(s.linux.cgroupsPath, '/a/skiff-oci/x/ctr');
    assert.deepEqual(s.mounts.find((m) => m.destination === '/data')?.options, ['rbind', 'rprivate', 'ro']);
    assert.deepEqual(s.mounts.find((m) => m.destination === '/etc/hosts')?.options, ['rbind', 'rprivate', 'rw']);
  });

  it("shares the node's network and UTS for hostNetwork, its PIDs for hostPID", () => {
    const s = ociSpec({ ...base, sandbox: sandbox({ hostNetwork: true, hostPID: true }, undefined) }) as { hostname?: string; linux: { namespaces: { type: string }[] } };
    assert.deepEqual(s.linux.namespaces.map((n) => n.type), ['mount', 'ipc']);
    assert.equal(s.hostname, undefined);
  });
});

describe('users and paths in the image rootfs', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-oci-user-'));
  fs.mkdirSync(path.join(root, 'etc'));
  fs.mkdirSync(path.join(root, 'bin'));
  fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n');
  fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\napp:x:1000:\nextra:x:2000:app\n');
  fs.writeFileSync(path.join(root, 'bin/busybox'), '', { mode: 0o755 });
  fs.symlinkSync('/bin/busybox', path.join(root, 'bin/sh'));
  fs.writeFileSync(path.join(root, 'bin/data'), '', { mode: 0o644 });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('resolves names, numbers and name:group as runc does', () => {
    assert.deepEqual(resolveUser(root, 'app'), { uid: 1000, gid: 1000, additionalGids: [1000, 2000], home: '/home/app' });
    assert.deepEqual(resolveUser(root, '1000:extra'), { uid: 1000, gid: 2000, additionalGids: [2000], home: '/home/app' });
    assert.deepEqual(resolveUser(root, '4242:4343'), { uid: 4242, gid: 4343, additionalGids: [4343], home: '/' });
    assert.deepEqual(resolveUser(root, undefined), { uid: 0, gid: 0, additionalGids: [0], home: '/root' });
    assert.throws(() => resolveUser(root, 'nobody'), /unable to find user nobody: no matching entries in passwd file/);
    assert.throws(() => resolveUser(root, 'app:nogroup'), /unable to find group nogroup: no matching entries in group file/);
  });

  it('follows absolute symlinks inside the rootfs, never out to the host', () => {
    assert.equal(resolveInRootfs(root, '/bin/sh'), path.join(root, 'bin/busybox'));
    const find = (file: string) => lookPathInRootfs({ rootfs: root, file, pathEnv: '/usr/bin:/bin', cwd: '/', mounts: [] });
    assert.equal(find('sh'), undefined);
    assert.equal(find('ls'), 'exec: "ls": executable file not found in $PATH');
    assert.equal(find('data'), 'exec: "data": permission denied');
    assert.equal(lookPathInRootfs({ rootfs: root, file: '/mnt/run.sh', pathEnv: '/bin', cwd: '/', mounts: [{ containerPath: '/mnt', hostPath: path.join(root, 'bin') }] }), 'exec: "/mnt/run.sh": executable file not found in $PATH');
  });
});
