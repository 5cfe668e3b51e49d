import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { findNginx, prepareNginx, renderNginxConfig } from './nginx.js';
import { ImageCatalog } from './catalog.js';
import { containerArgv } from './command.js';
import { ContainerProcess } from '../runtime/process-runtime.js';
import { isProcessLive } from '../runtime/proc.js';
import { freePort, tempDir, waitFor } from '../../util/testing.js';

test('config listens on the pod IP and every container port, state under the container dir', () => {
  const conf = renderNginxConfig({ podIP: '127.1.0.5', ports: [80, 8080], stateDir: '/s', htmlDir: '/s/html' });
  assert.match(conf, /listen 127\.1\.0\.5:80;/);
  assert.match(conf, /listen 127\.1\.0\.5:8080;/);
  assert.match(conf, /pid \/s\/nginx\.pid;/);
  assert.match(conf, /client_body_temp_path \/s\/temp\/client_body;/);
  assert.match(conf, /root \/s\/html;/);
  assert.doesNotMatch(conf, /daemon/); // the image CMD passes -g 'daemon off;'
});

test('prepare writes the config and the welcome page into SKIFF_CONTAINER_DIR', () => {
  const dir = tempDir();
  const conf = prepareNginx({ POD_IP: '127.1.0.9', SKIFF_CONTAINER_PORTS: '80,81', SKIFF_CONTAINER_DIR: dir });
  assert.equal(conf, path.join(dir, 'nginx', 'nginx.conf'));
  assert.match(fs.readFileSync(conf, 'utf8'), /listen 127\.1\.0\.9:81;/);
  assert.match(fs.readFileSync(path.join(dir, 'nginx', 'html', 'index.html'), 'utf8'), /Welcome to nginx!/);
});

test('the nginx image runs the host nginx on the pod IP', { skip: findNginx() ? false : 'nginx is not installed on this host' }, async () => {
  const dir = tempDir();
  const podIP = '127.1.0.7';
  const port = await freePort(podIP);
  const spec = new ImageCatalog().resolve('nginx:1.14.2');
  assert.ok(!('error' in spec), 'error' in spec ? spec.error : '');
  assert.equal(spec.source, 'builtin:nginx');
  const env = { ...spec.env, POD_IP: podIP, SKIFF_CONTAINER_PORTS: String(port), SKIFF_CONTAINER_DIR: dir };
  const log = path.join(dir, 'nginx.log');
  const c = new ContainerProcess({ name: 'nginx', argv: containerArgv({ image: spec, env }), env, logPath: log });
  await c.start();
  try {
    const res = await waitFor(
      'nginx to answer',
      async () => {
        if (c.state === 'exited') throw new Error(`nginx exited: ${fs.readFileSync(log, 'utf8')}`);
        return fetch(`http://${podIP}:${port}/`).catch(() => undefined);
      },
    );
    assert.equal(res.status, 200);
    assert.match(res.headers.get('server') ?? '', /^nginx/);
    assert.match(await res.text(), /<title>Welcome to nginx!<\/title>/);
    const procs = c.processes();
    assert.ok(procs.length >= 2, 'master and worker');
    const exit = await c.stop({ gracePeriodMs: 10_000 });
    assert.ok(exit);
    for (const pid of procs) assert.equal(isProcessLive(pid), false);
    assert.match(fs.readFileSync(log, 'utf8'), /GET \/ HTTP\/1\.1" 200/);
  } finally {
    await c.stop({ gracePeriodMs: 0 });
  }
});
