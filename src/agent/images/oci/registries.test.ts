import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadRegistries, nodeRegistries, parseRegistries, pullEndpoints, type RegistryHosts } from './registries.js';

const yaml = `
mirrors:
  docker.io:
    endpoint: ["http://127.0.0.1:5000", "https://mirror.example.test/v2"]
    rewrite: {"^library/(.*)": "mirror/$1"}
  registry.example.test:
    endpoint: ["http://127.0.0.1:5001"]
  "*":
    endpoint: ["http://127.0.0.1:1"]
configs:
  "127.0.0.1:5001":
    auth: {username: u, password: p}
  mirror.example.test:
    auth: {auth: dTpw}
    tls: {insecure_skip_verify: true, ca_file: /ca.pem}
  registry.example.test:
    auth: {identitytoken: tok}
`;

describe('registries.yaml', () => {
  const config = parseRegistries(yaml);

  test('mirror endpoints in order with the rewrite, then the default endpoint (never rewritten)', () => {
    const e = pullEndpoints({ config }, 'docker.io', 'library/busybox');
    assert.deepEqual(e.map((x) => [x.host, x.repository, x.insecure, x.upstream]), [
      ['127.0.0.1:5000', 'mirror/busybox', true, false],
      ['mirror.example.test', 'mirror/busybox', true, false],
      ['docker.io', 'library/busybox', false, true],
    ]);
    assert.equal(e[0]!.auth, undefined);
    assert.deepEqual(e[1]!.auth, { auth: 'dTpw' });
    assert.deepEqual(e[1]!.tls, { ca_file: '/ca.pem', cert_file: undefined, key_file: undefined });
    // a repository the rewrite does not match stays as it is
    assert.equal(pullEndpoints({ config }, 'docker.io', 'team/web')[0]!.repository, 'team/web');
  });

  test('--disable-default-registry-endpoint: mirrors only, for a registry with an entry or under "*"', () => {
    const hosts: RegistryHosts = { config, disableDefaultEndpoint: true };
    assert.deepEqual(pullEndpoints(hosts, 'docker.io', 'library/busybox').map((x) => x.host), ['127.0.0.1:5000', 'mirror.example.test']);
    const own = pullEndpoints(hosts, 'registry.example.test', 'busybox-http');
    assert.deepEqual(own.map((x) => [x.host, x.repository, x.upstream]), [['127.0.0.1:5001', 'busybox-http', false]]);
    assert.deepEqual(own[0]!.auth, { username: 'u', password: 'p' }, 'configs apply per endpoint host');
    assert.deepEqual(pullEndpoints(hosts, 'ghcr.io', 'a/b').map((x) => x.host), ['127.0.0.1:1'], '"*" covers every other registry');
    // without "*", an unmirrored registry keeps its default endpoint
    const noStar = parseRegistries('mirrors: {docker.io: {endpoint: ["http://127.0.0.1:5000"]}}');
    assert.deepEqual(pullEndpoints({ config: noStar, disableDefaultEndpoint: true }, 'ghcr.io', 'a/b').map((x) => [x.host, x.upstream]), [['ghcr.io', true]]);
    // the registry listed as its own endpoint is allowed (k3s' way to let one registry through), with no rewrite
    const self = parseRegistries('mirrors: {"127.0.0.1:7000": {endpoint: ["http://127.0.0.1:7000"], rewrite: {"(.*)": "x/$1"}}}');
    assert.deepEqual(pullEndpoints({ config: self, disableDefaultEndpoint: true }, '127.0.0.1:7000', 'team/web').map((x) => [x.host, x.repository, x.insecure, x.upstream]), [['127.0.0.1:7000', 'team/web', true, true]]);
  });

  test('no configuration: the registry itself (loopback over plain HTTP)', () => {
    assert.deepEqual(pullEndpoints(undefined, 'docker.io', 'library/redis').map((x) => [x.host, x.insecure, x.upstream]), [['docker.io', false, true]]);
    assert.deepEqual(pullEndpoints(undefined, '127.0.0.1:5000', 'a').map((x) => [x.host, x.insecure]), [['127.0.0.1:5000', true]]);
    assert.equal(pullEndpoints({ config: config }, 'registry.example.test', 'x').at(-1)!.auth?.identitytoken, 'tok');
  });

  test('bad files: clear errors naming the field', () => {
    assert.throws(() => parseRegistries('mirror: {}'), /unknown field "mirror" \(mirrors, configs\)/);
    assert.throws(() => parseRegistries('mirrors: {docker.io: {endpoint: "http://x"}}'), /mirrors\.docker\.io\.endpoint: expected a list of URLs/);
    assert.throws(() => parseRegistries('mirrors: {docker.io: {endpoint: ["ftp://x"]}}'), /scheme must be http or https/);
    assert.throws(() => parseRegistries('mirrors: {docker.io: {endpoint: ["https://x/prefix"]}}'), /path other than \/v2 is not supported/);
    assert.throws(() => parseRegistries('mirrors: {docker.io: {rewrite: {"(": "x"}}}'), /mirrors\.docker\.io\.rewrite: Invalid regular expression/);
    assert.throws(() => parseRegistries('- a'), /expected a mapping/);
    assert.throws(() => loadRegistries('/nonexistent/registries.yaml'), /--private-registry: ENOENT/);
  });

  test('the default file is <data-dir>/registries.yaml where it exists', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-registries-'));
    try {
      assert.deepEqual(nodeRegistries({ dataDir: dir }), {});
      fs.writeFileSync(path.join(dir, 'registries.yaml'), yaml);
      const found = nodeRegistries({ dataDir: dir, disableDefaultEndpoint: true });
      assert.equal(found.source, path.join(dir, 'registries.yaml'));
      assert.equal(found.hosts?.disableDefaultEndpoint, true);
      assert.deepEqual(Object.keys(found.hosts!.config.mirrors!), ['docker.io', 'registry.example.test', '*']);
      assert.throws(() => nodeRegistries({ dataDir: dir, file: path.join(dir, 'absent.yaml') }), /ENOENT/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
