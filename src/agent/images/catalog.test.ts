import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ImageCatalog, type ImageResolution, type ImageSpec } from './catalog.js';
import { parseImageReference } from './reference.js';
import { tempDir } from '../../util/testing.js';

function ok(r: ImageResolution): ImageSpec {
  if ('error' in r) assert.fail(r.error);
  return r;
}

test('image references normalise as Docker does', () => {
  const n = parseImageReference('nginx');
  assert.equal(n.fullName, 'docker.io/library/nginx:latest');
  assert.equal(n.familiarName, 'nginx');
  const b = parseImageReference('docker.io/library/busybox:1.36');
  assert.equal(b.familiarName, 'busybox');
  assert.equal(b.tag, '1.36');
  const g = parseImageReference('ghcr.io/org/app@sha256:abc');
  assert.equal(g.registry, 'ghcr.io');
  assert.equal(g.repository, 'org/app');
  assert.equal(g.digest, 'sha256:abc');
  assert.equal(g.fullName, 'ghcr.io/org/app@sha256:abc');
  const p = parseImageReference('localhost:5000/app:v1');
  assert.equal(p.registry, 'localhost:5000');
  assert.equal(p.tag, 'v1');
  assert.equal(parseImageReference('jinhokwon/spring-boot-rest-first').repository, 'jinhokwon/spring-boot-rest-first');
});

test('toolbox images run the host shell with the image CMD', () => {
  const c = new ImageCatalog({ nginxPath: null });
  for (const image of ['busybox', 'docker.io/library/busybox:1.36', 'alpine:3.19', 'centos:7', 'ubuntu', 'debian:12', 'fedora']) {
    const spec = ok(c.resolve(image));
    assert.deepEqual(spec.entrypoint, [], image);
    assert.equal(spec.cmd.length, 1, image);
    assert.equal(spec.source, 'builtin:toolbox');
  }
  assert.deepEqual(ok(c.resolve('busybox')).cmd, ['sh']);
  assert.match(ok(c.resolve('busybox')).imageID!, /^docker\.io\/library\/busybox@sha256:[0-9a-f]{64}$/);
});

test('the echo image and the seed sample app map to the echo server', () => {
  const c = new ImageCatalog({ nginxPath: null });
  for (const image of ['skiff/echo', 'skiff/echo:latest', 'jinhokwon/spring-boot-rest-first']) {
    const spec = ok(c.resolve(image));
    assert.equal(spec.source, 'builtin:echo');
    assert.equal(spec.entrypoint[0], process.execPath);
    assert.match(spec.entrypoint.at(-1)!, /echo-server\.(ts|js)$/);
    assert.ok(fs.existsSync(spec.entrypoint.at(-1)!));
  }
});

test('nginx uses the host binary when there is one, else the echo app serving the welcome page', () => {
  const withNginx = ok(new ImageCatalog({ nginxPath: '/opt/fake/nginx' }).resolve('nginx:1.14.2'));
  assert.equal(withNginx.source, 'builtin:nginx');
  assert.deepEqual(withNginx.cmd, ['nginx', '-g', 'daemon off;']);
  assert.match(withNginx.entrypoint.join(' '), /\/opt\/fake\/nginx -e stderr -c "\$conf"/);
  const fallback = ok(new ImageCatalog({ nginxPath: null }).resolve('nginx'));
  assert.equal(fallback.source, 'builtin:nginx-fallback');
  assert.equal(fallback.env?.SKIFF_ECHO_MODE, 'nginx-welcome');
  assert.equal(fallback.env?.SKIFF_DEFAULT_PORTS, '80');
});

test('unknown images give an error telling how to map them', () => {
  const dir = tempDir();
  const r = new ImageCatalog({ dataDir: dir, nginxPath: null }).resolve('ghcr.io/acme/payments:2.1');
  assert.ok('error' in r);
  assert.match(r.error, /^image "ghcr\.io\/acme\/payments:2\.1" is not in skiff's image catalog/);
  assert.ok(r.error.includes(path.join(dir, 'images.yaml')));
  assert.ok(r.error.includes('- match: "ghcr.io/acme/payments*"'));
  assert.ok('error' in new ImageCatalog().resolve(''));
});

test('user mappings from images.yaml: globs, regexes, precedence and reload', () => {
  const dir = tempDir();
  const file = path.join(dir, 'images.yaml');
  fs.writeFileSync(
    file,
    [
      '- match: "ghcr.io/acme/*"',
      '  command: ["/usr/bin/acme"]',
      '  args: ["--serve"]',
      '  env: {MODE: prod}',
      '  workingDir: /srv',
      "- match: '/^registry\\.example\\.com/tools:v[0-9]+$/'",
      '  command: ["/bin/true"]',
      '- match: "nginx"',
      '  command: ["/usr/local/bin/my-nginx"]',
    ].join('\n'),
  );
  const c = new ImageCatalog({ dataDir: dir, nginxPath: null });
  const acme = ok(c.resolve('ghcr.io/acme/payments:2.1'));
  assert.deepEqual([acme.entrypoint, acme.cmd, acme.env, acme.workingDir], [['/usr/bin/acme'], ['--serve'], { MODE: 'prod' }, '/srv']);
  assert.equal(acme.source, 'user:ghcr.io/acme/*');
  assert.deepEqual(ok(c.resolve('registry.example.com/tools:v12')).entrypoint, ['/bin/true']);
  assert.ok('error' in c.resolve('registry.example.com/tools:latest'));
  // a user mapping overrides a built-in, whatever the tag
  assert.deepEqual(ok(c.resolve('nginx:1.14.2')).entrypoint, ['/usr/local/bin/my-nginx']);

  fs.writeFileSync(file, '- match: 42\n');
  fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
  const broken = c.resolve('ghcr.io/acme/payments:2.1');
  assert.ok('error' in broken);
  assert.match(broken.error, /images\.yaml is invalid: entry 0: "match" must be a non-empty string/);
  // built-ins still resolve with a broken file
  assert.equal(ok(c.resolve('busybox')).source, 'builtin:toolbox');
});
