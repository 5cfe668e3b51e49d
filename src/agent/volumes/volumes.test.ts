import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConfigMap, Pod } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../../util/clock.js';
import { writeAtomic, validatePayloadPath } from './atomic-writer.js';
import { configMapPayload, downwardAPIPayload, secretPayload } from './payload.js';
import { mountEnv, VolumeManager } from './volume-manager.js';
import { checkHostPathType } from './host-path.js';

const tmp = (t: { after(fn: () => void): void }) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-vol-test-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
};
const file = (s: string, mode = 0o644) => ({ data: Buffer.from(s), mode });

test('writeAtomic: ..data symlink to a timestamped dir, user-visible symlinks, swap on change, old keys removed', (t) => {
  const d = tmp(t);
  assert.equal(writeAtomic(d, new Map([['a', file('1')], ['dir/b', file('2', 0o600)]])), true);
  const first = fs.readlinkSync(path.join(d, '..data'));
  assert.match(first, /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d+$/);
  assert.equal(fs.readlinkSync(path.join(d, 'a')), '..data/a');
  assert.equal(fs.readlinkSync(path.join(d, 'dir')), '..data/dir');
  assert.equal(fs.readFileSync(path.join(d, 'dir/b'), 'utf8'), '2');
  assert.equal(fs.statSync(path.join(d, 'a')).mode & 0o777, 0o644);
  assert.equal(fs.statSync(path.join(d, 'dir/b')).mode & 0o777, 0o600);
  assert.equal(writeAtomic(d, new Map([['a', file('1')], ['dir/b', file('2', 0o600)]])), false, 'same payload: nothing written');
  assert.equal(writeAtomic(d, new Map([['a', file('changed')]])), true);
  const second = fs.readlinkSync(path.join(d, '..data'));
  assert.notEqual(second, first);
  assert.equal(fs.existsSync(path.join(d, first)), false, 'old timestamped dir removed');
  assert.equal(fs.existsSync(path.join(d, 'dir')), false, 'key gone from the payload is removed');
  assert.equal(fs.readFileSync(path.join(d, 'a'), 'utf8'), 'changed');
  assert.deepEqual(fs.readdirSync(d).sort(), [second, '..data', 'a'].sort());
});

test('payload paths: relative, no ..', () => {
  assert.match(validatePayloadPath('/abs')!, /must be relative/);
  assert.match(validatePayloadPath('a/../b')!, /must not contain '\.\.'/);
  assert.match(validatePayloadPath('..x')!, /must not start with/);
  assert.equal(validatePayloadPath('a/b'), undefined);
});

test('configMap and secret payloads: keys, items, modes, optional, the kubelet messages', () => {
  const cm: ConfigMap = { metadata: { name: 'c' }, data: { 'a.conf': 'A', b: 'B' }, binaryData: { bin: Buffer.from('xyz').toString('base64') } };
  const all = configMapPayload({ name: 'c' }, cm);
  assert.ok('payload' in all);
  assert.deepEqual([...all.payload.keys()].sort(), ['a.conf', 'b', 'bin']);
  assert.equal(all.payload.get('bin')!.data.toString(), 'xyz');
  assert.equal(all.payload.get('b')!.mode, 0o644);
  const items = configMapPayload({ name: 'c', items: [{ key: 'a.conf', path: 'sub/x.conf', mode: 0o400 }], defaultMode: 0o440 }, cm);
  assert.ok('payload' in items);
  assert.deepEqual([...items.payload.entries()].map(([k, v]) => [k, v.mode]), [['sub/x.conf', 0o400]]);
  assert.deepEqual(configMapPayload({ name: 'nope' }, undefined), { error: 'configmap "nope" not found' });
  assert.deepEqual(configMapPayload({ name: 'c', items: [{ key: 'zz', path: 'z' }] }, cm), { error: 'configmap references non-existent config key: zz' });
  assert.ok('payload' in configMapPayload({ name: 'nope', optional: true }, undefined));
  assert.deepEqual(secretPayload({ secretName: 's' }, undefined), { error: 'secret "s" not found' });
  const s = secretPayload({ secretName: 's' }, { metadata: { name: 's' }, data: { password: Buffer.from('hunter2').toString('base64') } });
  assert.ok('payload' in s);
  assert.equal(s.payload.get('password')!.data.toString(), 'hunter2');
  assert.equal(s.payload.get('password')!.mode, 0o644);
});

test('downwardAPI payload: fieldRef labels and name, resourceFieldRef with divisor', () => {
  const pod: Pod = { metadata: { name: 'p', namespace: 'ns', labels: { b: '2', a: '1' } }, spec: { containers: [{ name: 'c', resources: { limits: { memory: '64Mi' } } }] } };
  const r = downwardAPIPayload([
    { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
    { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
    { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' } },
  ], undefined, pod, { podIP: '127.0.0.9', hostIP: '127.0.0.1' });
  assert.ok('payload' in r);
  assert.equal(r.payload.get('labels')!.data.toString(), 'a="1"\nb="2"');
  assert.equal(r.payload.get('name')!.data.toString(), 'p');
  assert.equal(r.payload.get('mem')!.data.toString(), '64');
});

test('hostPath types', (t) => {
  const d = tmp(t);
  assert.equal(checkHostPathType(path.join(d, 'new'), 'DirectoryOrCreate'), undefined);
  assert.ok(fs.statSync(path.join(d, 'new')).isDirectory());
  assert.equal(checkHostPathType(path.join(d, 'missing'), 'Directory'), `hostPath type check failed: ${path.join(d, 'missing')} is not a directory`);
  assert.equal(checkHostPathType(path.join(d, 'f'), 'FileOrCreate'), undefined);
  assert.equal(checkHostPathType(path.join(d, 'f'), 'Directory'), `hostPath type check failed: ${path.join(d, 'f')} is not a directory`);
  assert.equal(checkHostPathType(path.join(d, 'new'), 'File'), `hostPath type check failed: ${path.join(d, 'new')} is not a file`);
});

test('VolumeManager: set up, FailedMount message, mounts with subPath and forced readOnly, update on resync, tear down', async (t) => {
  const d = tmp(t);
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  const cms = new Map<string, ConfigMap>();
  const vm = new VolumeManager({
    clock, log: () => {}, hostIP: '127.0.0.1',
    configMap: (ns, n) => cms.get(`${ns}/${n}`), secret: () => undefined, claim: () => undefined, volume: () => undefined,
    requestToken: async () => ({ token: 'tok', expiresAt: clock.now() + 3607_000 }),
  });
  t.after(() => vm.stop());
  const pod: Pod = {
    metadata: { name: 'p', namespace: 'default', uid: 'u1' },
    spec: {
      containers: [{ name: 'c', volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg' }, { name: 'cfg', mountPath: '/etc/one.conf', subPath: 'one.conf' }, { name: 'scratch', mountPath: '/scratch' }] }],
      volumes: [{ name: 'cfg', configMap: { name: 'conf' } }, { name: 'scratch', emptyDir: {} }, { name: 'sa', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }] } }],
    },
  };
  const r1 = await vm.setUp(pod, d, '127.0.0.5');
  assert.deepEqual(r1, { ok: false, volume: 'cfg', message: 'MountVolume.SetUp failed for volume "cfg" : configmap "conf" not found' });
  cms.set('default/conf', { metadata: { name: 'conf' }, data: { 'one.conf': 'v1' } });
  assert.deepEqual(await vm.setUp(pod, d, '127.0.0.5'), { ok: true });
  const cfgDir = path.join(d, 'volumes', 'kubernetes.io~configmap', 'cfg');
  assert.equal(fs.readFileSync(path.join(cfgDir, 'one.conf'), 'utf8'), 'v1');
  assert.equal(fs.readFileSync(path.join(d, 'volumes', 'kubernetes.io~projected', 'sa', 'token'), 'utf8'), 'tok');
  const m = vm.containerMounts('u1', pod.spec!.containers[0]!);
  assert.ok('mounts' in m);
  assert.deepEqual(m.mounts.map((x) => [x.containerPath, x.readOnly]), [['/etc/cfg', true], ['/etc/one.conf', true], ['/scratch', false]]);
  assert.equal(m.mounts[0]!.hostPath, cfgDir);
  assert.equal(path.basename(m.mounts[1]!.hostPath), 'one.conf');
  const env = mountEnv(pod.spec!.containers[0]!, m.mounts, false);
  assert.equal(env.SKIFF_VOLUME_SCRATCH, path.join(d, 'volumes', 'kubernetes.io~empty-dir', 'scratch'));
  assert.match(env.SKIFF_MOUNTS!, /^\/etc\/cfg=.*kubernetes.io~configmap\/cfg$/m);
  cms.set('default/conf', { metadata: { name: 'conf' }, data: { 'one.conf': 'v2' } });
  await vm.resync();
  assert.equal(fs.readFileSync(path.join(cfgDir, 'one.conf'), 'utf8'), 'v2');
  vm.tearDown('u1');
  assert.equal(fs.existsSync(path.join(d, 'volumes')), false);
});
