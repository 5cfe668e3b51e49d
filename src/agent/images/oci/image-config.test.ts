import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container } from 'kubernetes-types/core/v1.js';
import { containerUser, ociContainerSettings } from './image-config.js';

const config = { Entrypoint: ['/bin/busybox', 'httpd', '-f'], Cmd: ['-p', '8080'], Env: ['PATH=/bin', 'MODE=image', 'KEEP=1'], WorkingDir: '/www', User: 'web' };
const settings = (c: Partial<Container>, env: Record<string, string> = {}) => ociContainerSettings({ config, container: { name: 'c', ...c }, containerEnv: env });

test('no command or args: Entrypoint + Cmd, the image WorkingDir and User', () => {
  const s = settings({});
  assert.deepEqual(s.argv, ['/bin/busybox', 'httpd', '-f', '-p', '8080']);
  assert.equal(s.cwd, '/www');
  assert.equal(s.user, 'web');
});

test('args replace Cmd and keep Entrypoint', () => {
  assert.deepEqual(settings({ args: ['-p', '9090'] }).argv, ['/bin/busybox', 'httpd', '-f', '-p', '9090']);
});

test('command replaces Entrypoint and drops Cmd; command + args', () => {
  assert.deepEqual(settings({ command: ['/bin/sh', '-c', 'echo hi'] }).argv, ['/bin/sh', '-c', 'echo hi']);
  assert.deepEqual(settings({ command: ['/bin/echo'], args: ['a', 'b'] }).argv, ['/bin/echo', 'a', 'b']);
});

test('env: the image Env overlaid by the container env; $(VAR) expands from the final env', () => {
  const s = settings({ args: ['$(MODE)', '$(PATH)', '$(UNSET)'] }, { MODE: 'pod' });
  assert.equal(s.env['MODE'], 'pod');
  assert.equal(s.env['KEEP'], '1');
  assert.equal(s.env['PATH'], '/bin');
  assert.deepEqual(s.argv.slice(3), ['pod', '/bin', '$(UNSET)']);
});

test('an image without PATH gets the default one; workingDir over WorkingDir; / without either', () => {
  const s = ociContainerSettings({ config: {}, container: { name: 'c', workingDir: '/data' }, containerEnv: {} });
  assert.equal(s.env['PATH'], '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  assert.equal(s.cwd, '/data');
  assert.equal(ociContainerSettings({ config: {}, container: { name: 'c' }, containerEnv: {} }).cwd, '/');
});

test('user: runAsUser/runAsGroup (container over pod) over the image User', () => {
  assert.equal(containerUser('web', { runAsUser: 1001 }, undefined), '1001');
  assert.equal(containerUser('web:web', { runAsUser: 1001 }, undefined), '1001:web');
  assert.equal(containerUser('web', undefined, { runAsUser: 5, runAsGroup: 6 }), '5:6');
  assert.equal(containerUser('web', { runAsUser: 7 }, { runAsUser: 5, runAsGroup: 6 }), '7:6');
  assert.equal(containerUser(undefined, { runAsGroup: 2000 }, undefined), '0:2000');
  assert.equal(containerUser('', undefined, undefined), undefined);
});
