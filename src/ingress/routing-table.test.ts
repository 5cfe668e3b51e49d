import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { HTTPIngressPath, Ingress, IngressRule } from 'kubernetes-types/networking/v1.js';
import type { BackendLookup } from './backends.js';
import { normalizeHost, prefixMatches, requestPath, wildcardMatches } from './match.js';
import { buildRoutingTable } from './routing-table.js';

/** Every Service exists with port 80 and one ready endpoint, so routes resolve to their service name. */
const everything: BackendLookup = {
  service: (namespace, name) => ({ metadata: { namespace, name }, spec: { ports: [{ port: 80, targetPort: 8080 }] } }),
  endpointSlices: () => [{ addressType: 'IPv4', metadata: {}, endpoints: [{ addresses: ['127.0.0.9'] }], ports: [{ port: 8080 }] }],
};

function path(p: string, pathType: string, service: string): HTTPIngressPath {
  return { path: p, pathType, backend: { service: { name: service, port: { number: 80 } } } };
}

function ingress(name: string, spec: Ingress['spec'], created = '2024-01-01T00:00:00Z'): Ingress {
  return { metadata: { name, namespace: 'default', creationTimestamp: created }, spec };
}

function routeTo(ings: Ingress[], host: string, url: string): string {
  const r = buildRoutingTable(ings, everything).route(host, requestPath(url));
  return r.location.backend?.service ?? '404';
}

function svcName(p: string, type: string): string {
  return `${type}:${p}`;
}

describe('path matching (the Kubernetes documentation table)', () => {
  const rows: Array<[string, string[], string, boolean | string]> = [
    ['Prefix', ['/'], '/anything/at/all', true],
    ['Exact', ['/foo'], '/foo', true],
    ['Exact', ['/foo'], '/bar', false],
    ['Exact', ['/foo'], '/foo/', false],
    ['Exact', ['/foo/'], '/foo', false],
    ['Prefix', ['/foo'], '/foo', true],
    ['Prefix', ['/foo'], '/foo/', true],
    ['Prefix', ['/foo/'], '/foo', true],
    ['Prefix', ['/foo/'], '/foo/', true],
    ['Prefix', ['/aaa/bb'], '/aaa/bbb', false],
    ['Prefix', ['/aaa/bbb'], '/aaa/bbb', true],
    ['Prefix', ['/aaa/bbb/'], '/aaa/bbb', true],
    ['Prefix', ['/aaa/bbb'], '/aaa/bbb/', true],
    ['Prefix', ['/aaa/bbb'], '/aaa/bbb/ccc', true],
    ['Prefix', ['/aaa/bbb'], '/aaa/bbbxyz', false],
    ['Prefix', ['/', '/aaa'], '/aaa/ccc', '/aaa'],
    ['Prefix', ['/', '/aaa', '/aaa/bbb'], '/aaa/bbb', '/aaa/bbb'],
    ['Prefix', ['/', '/aaa', '/aaa/bbb'], '/ccc', '/'],
    ['Prefix', ['/aaa'], '/ccc', false],
    ['ImplementationSpecific', ['/foo'], '/foo/bar', true],
    ['ImplementationSpecific', ['/foo'], '/foobar', false],
  ];
  for (const [type, paths, request, expected] of rows) {
    it(`${type} ${paths.join(', ')} vs ${request}: ${expected}`, () => {
      const ing = ingress('a', { rules: [{ host: 'h.test', http: { paths: paths.map((p) => path(p, type, svcName(p, type))) } }] });
      const got = routeTo([ing], 'h.test', request);
      if (expected === false) assert.equal(got, '404');
      else if (expected === true) assert.equal(got, svcName(paths[0]!, type));
      else assert.equal(got, svcName(expected, type));
    });
  }

  it('prefers Exact over Prefix for the same path', () => {
    const ing = ingress('a', { rules: [{ host: 'h.test', http: { paths: [path('/foo', 'Prefix', 'prefix'), path('/foo', 'Exact', 'exact')] } }] });
    assert.equal(routeTo([ing], 'h.test', '/foo'), 'exact');
    assert.equal(routeTo([ing], 'h.test', '/foo/'), 'prefix');
    assert.equal(routeTo([ing], 'h.test', '/foo/bar?x=/foo'), 'prefix');
  });

  it('longest match wins over Exact on a shorter path', () => {
    const ing = ingress('a', { rules: [{ host: 'h.test', http: { paths: [path('/foo', 'Exact', 'exact'), path('/foo/bar', 'Prefix', 'long')] } }] });
    assert.equal(routeTo([ing], 'h.test', '/foo/bar/baz'), 'long');
    assert.equal(routeTo([ing], 'h.test', '/foo'), 'exact');
  });

  it('prefixMatches is element-wise and ignores a query string', () => {
    assert.equal(prefixMatches('/foo', '/foo'), true);
    assert.equal(prefixMatches('/foo', '/foobar'), false);
    assert.equal(requestPath('/foo?a=b#c'), '/foo');
  });
});

describe('hosts', () => {
  const rules: IngressRule[] = [
    { host: 'foo.bar.com', http: { paths: [path('/', 'Prefix', 'exact-host')] } },
    { host: '*.bar.com', http: { paths: [path('/', 'Prefix', 'wildcard')] } },
    { http: { paths: [path('/', 'Prefix', 'any-host')] } },
  ];
  const ings = [ingress('a', { rules })];

  it('exact host beats wildcard, wildcard covers one label only, no host covers the rest', () => {
    assert.equal(routeTo(ings, 'foo.bar.com', '/'), 'exact-host');
    assert.equal(routeTo(ings, 'FOO.bar.com:8080', '/'), 'exact-host');
    assert.equal(routeTo(ings, 'baz.bar.com', '/'), 'wildcard');
    assert.equal(routeTo(ings, 'a.baz.bar.com', '/'), 'any-host');
    assert.equal(routeTo(ings, 'bar.com', '/'), 'any-host');
    assert.equal(routeTo(ings, '', '/'), 'any-host');
  });

  it('a host with no rule gets 404', () => {
    const only = [ingress('a', { rules: [rules[0]!] })];
    assert.equal(routeTo(only, 'other.com', '/'), '404');
  });

  it('helpers', () => {
    assert.equal(normalizeHost('Example.COM.:443'), 'example.com');
    assert.equal(wildcardMatches('*.foo.com', 'bar.foo.com'), true);
    assert.equal(wildcardMatches('*.foo.com', 'a.bar.foo.com'), false);
    assert.equal(wildcardMatches('*.foo.com', 'foo.com'), false);
  });
});

describe('merging Ingresses and defaultBackend', () => {
  it('an Ingress with only a defaultBackend takes every unmatched request', () => {
    const def = ingress('def', { defaultBackend: { service: { name: 'fallback', port: { number: 80 } } } });
    const rules = ingress('r', { rules: [{ host: 'h.test', http: { paths: [path('/app', 'Prefix', 'app')] } }] });
    assert.equal(routeTo([def, rules], 'nope.test', '/x'), 'fallback');
    assert.equal(routeTo([def, rules], 'h.test', '/app/1'), 'app');
    // Like ingress-nginx: a known host's unmatched paths go to that host's root, not the catch-all.
    assert.equal(routeTo([def, rules], 'h.test', '/other'), '404');
  });

  it('an Ingress with rules and a defaultBackend uses it for the unmatched paths of its hosts', () => {
    const ing = ingress('a', { defaultBackend: { service: { name: 'fallback', port: { number: 80 } } }, rules: [{ host: 'h.test', http: { paths: [path('/app', 'Prefix', 'app')] } }] });
    assert.equal(routeTo([ing], 'h.test', '/other'), 'fallback');
    assert.equal(routeTo([ing], 'x.test', '/other'), '404');
  });

  it('the same host across Ingresses merges paths; the older Ingress keeps a contested path', () => {
    const older = ingress('z-old', { rules: [{ host: 'h.test', http: { paths: [path('/a', 'Prefix', 'old-a')] } }] }, '2024-01-01T00:00:00Z');
    const newer = ingress('a-new', { rules: [{ host: 'h.test', http: { paths: [path('/a', 'Prefix', 'new-a'), path('/b', 'Prefix', 'new-b')] } }] }, '2024-02-01T00:00:00Z');
    assert.equal(routeTo([newer, older], 'h.test', '/a'), 'old-a');
    assert.equal(routeTo([newer, older], 'h.test', '/b/c'), 'new-b');
  });

  it('an explicit / replaces the default root', () => {
    const ing = ingress('a', { defaultBackend: { service: { name: 'fallback', port: { number: 80 } } }, rules: [{ host: 'h.test', http: { paths: [path('/', 'Prefix', 'root')] } }] });
    assert.equal(routeTo([ing], 'h.test', '/x'), 'root');
  });
});

describe('backend resolution', () => {
  const svc: Service = {
    metadata: { namespace: 'default', name: 'web' },
    spec: {
      ports: [
        { name: 'http', port: 80, targetPort: 'web' },
        { name: 'admin', port: 9000, targetPort: 9090 },
      ],
    },
  };
  const slice: EndpointSlice = {
    addressType: 'IPv4',
    metadata: { namespace: 'default', name: 'web-abc', labels: { 'kubernetes.io/service-name': 'web' } },
    endpoints: [
      { addresses: ['127.0.1.2'], conditions: { ready: true } },
      { addresses: ['127.0.1.3'], conditions: { ready: false } },
      { addresses: ['127.0.1.4'] },
    ],
    ports: [
      { name: 'http', port: 8080, protocol: 'TCP' },
      { name: 'admin', port: 9090, protocol: 'TCP' },
    ],
  };
  const lookup: BackendLookup = { service: (ns, n) => (ns === 'default' && n === 'web' ? svc : undefined), endpointSlices: (ns, n) => (n === 'web' ? [slice] : []) };
  const table = (port: { number?: number; name?: string }, service = 'web') =>
    buildRoutingTable([ingress('a', { rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port } } }] } }] })], lookup).route('', '/');

  it('by port number and by port name, through targetPort to the slice port; unready endpoints left out', () => {
    assert.deepEqual(table({ number: 80 }).backend?.upstreams, [{ host: '127.0.1.2', port: 8080 }, { host: '127.0.1.4', port: 8080 }]);
    assert.deepEqual(table({ name: 'admin' }).backend?.upstreams, [{ host: '127.0.1.2', port: 9090 }, { host: '127.0.1.4', port: 9090 }]);
  });

  it('a missing Service or port resolves to no upstreams (503)', () => {
    assert.deepEqual(table({ number: 81 }).backend?.upstreams, []);
    assert.deepEqual(table({ number: 80 }, 'gone').backend?.upstreams, []);
    assert.match(table({ number: 80 }, 'gone').backend?.reason ?? '', /not found/);
  });
});
