import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findResource, resources } from '../../api/resources.js';
import { StatusError } from '../../api/status.js';
import { baseManifest, Gen, mutate } from '../../../test/support/fuzz.js';
import { checkAppliedObject, checkBody, checkPatchedObject, decodeRequestObject } from './body.js';
import { listQuery, tooLargeResourceVersion } from './query.js';
import { typeCheck } from './typecheck.js';

const info = (group: string, kind: string) => resources.find((r) => r.group === group && r.kind === kind)!;
const decode = (group: string, kind: string, body: unknown, ct = 'application/json') => decodeRequestObject(info(group, kind), Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), ct);

function statusOf(fn: () => unknown): { code: number; reason?: string; message?: string; details?: unknown } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof StatusError, `a StatusError, got ${String(err)}`);
    return err.status;
  }
  assert.fail('expected an error');
}

describe('decoding request bodies as kube-apiserver does (issue 13 reproducers)', () => {
  for (const [group, kind, version] of [
    ['', 'Service', 'v1'],
    ['', 'Pod', 'v1'],
    ['apps', 'Deployment', 'v1'],
    ['networking.k8s.io', 'Ingress', 'v1'],
  ] as const) {
    it(`a ${kind} whose metadata is a string is a 400 naming ${kind}.metadata`, () => {
      const apiVersion = group ? `${group}/${version}` : version;
      const s = statusOf(() => decode(group, kind, { apiVersion, kind, metadata: 'x' }));
      assert.equal(s.code, 400);
      assert.equal(s.reason, 'BadRequest');
      assert.equal(s.message, `${kind} in version "${version}" cannot be handled as a ${kind}: json: cannot unmarshal string into Go struct field ${kind}.metadata of type v1.ObjectMeta`);
    });
  }

  it('refuses JSON nested deeper than its limit with a 400 (a fuzzed 4,000-deep label value aborted the process)', () => {
    const deep = `{"apiVersion":"v1","kind":"Event","metadata":{"name":"e","labels":{"app":${'['.repeat(5000)}${']'.repeat(5000)}}}}`;
    const s = statusOf(() => decode('', 'Event', deep));
    assert.equal(s.code, 400);
    assert.match(s.message ?? '', /exceeded max depth/);
    // as YAML the parser itself would recurse past the stack (and V8 aborted the process): refused unparsed
    const y = statusOf(() => decode('', 'Event', deep, 'application/yaml'));
    assert.equal(y.code, 400);
    assert.equal(y.message, 'error converting YAML to JSON: exceeded max depth');
    // an ordinary nesting still decodes
    assert.ok(decode('', 'ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } }));
  });

  it('names the innermost struct and the full path, as Go does', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: [1] }] } };
    assert.equal(statusOf(() => decode('', 'Pod', pod)).message, 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal array into Go struct field Container.spec.containers.image of type string');
    const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 'three' } };
    assert.equal(statusOf(() => decode('apps', 'Deployment', d)).message, 'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32');
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', labels: { a: 1 } } };
    assert.equal(statusOf(() => decode('', 'Service', svc)).message, 'Service in version "v1" cannot be handled as a Service: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string');
    const port = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 1.5 }] } };
    assert.equal(statusOf(() => decode('', 'Service', port)).message, 'Service in version "v1" cannot be handled as a Service: json: cannot unmarshal number 1.5 into Go struct field ServicePort.spec.ports.port of type int32');
  });

  it('accepts what Go accepts: IntOrString both ways, numeric quantities, nulls as absent', () => {
    const svc = decode('', 'Service', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', labels: null }, spec: { ports: [{ port: 80, targetPort: 'http' }, { port: 81, targetPort: 8081 }], selector: null } });
    assert.deepEqual(svc.metadata, { name: 's' });
    assert.deepEqual(svc.spec, { ports: [{ port: 80, targetPort: 'http' }, { port: 81, targetPort: 8081 }] });
    const pod = decode('', 'Pod', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i', resources: { limits: { cpu: 1, memory: '64Mi' } } }, null] } });
    assert.deepEqual((pod.spec as { containers: unknown[] }).containers[1], {});
    assert.equal(statusOf(() => decode('', 'Pod', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', resources: { limits: { cpu: 'lots' } } }] } })).code, 400);
  });

  it('a Secret value that is not base64 is a 400, as Go decodes []byte', () => {
    const s = statusOf(() => decode('', 'Secret', { metadata: { name: 's' }, data: { k: 'not base64!' } }));
    assert.match(s.message!, /^Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3$/);
    assert.deepEqual(decode('', 'Secret', { metadata: { name: 's' }, data: { k: 'dmFsdWU=' } }).data, { k: 'dmFsdWU=' });
  });

  it('a body that is not an object, is truncated, or of an unknown media type', () => {
    assert.match(statusOf(() => decode('', 'Pod', '[1]')).message!, /^the object provided is unrecognized \(must be of type Pod\): couldn't get version\/kind; json parse error: json: cannot unmarshal array into Go value of type struct/);
    assert.equal(statusOf(() => decode('', 'Pod', '{"apiVersion":"v1","kind":"Pod","metadata":{"name"')).message, `the object provided is unrecognized (must be of type Pod): couldn't get version/kind; json parse error: unexpected end of JSON input ({"apiVersion":"v1","kind":"Pod ...)`);
    assert.equal(statusOf(() => decode('', 'Pod', '{"kind":7}')).message, `the object provided is unrecognized (must be of type Pod): couldn't get version/kind; json parse error: json: cannot unmarshal number into Go struct field .kind of type string ({"kind":7})`);
    const s = statusOf(() => decode('', 'Pod', '{}', 'text/plain'));
    assert.equal(s.code, 415);
    assert.equal(s.message, 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf');
  });

  it('a patch that produces the wrong types is a 422 naming the patch; a bad apply configuration a 400', () => {
    const patched = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: [1] }] } } as never;
    const s = statusOf(() => checkPatchedObject(info('', 'Pod'), patched));
    assert.equal(s.code, 422);
    assert.match(s.message!, /^ "" is invalid: patch: Invalid value: ".*": json: cannot unmarshal array into Go struct field Container.spec.containers.image of type string$/);
    assert.deepEqual((s.details as { causes: Array<{ field: string }> }).causes.map((c) => c.field), ['patch']);
    const a = statusOf(() => checkAppliedObject(info('apps', 'Deployment'), { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 'x' } } as never));
    assert.equal(a.code, 400);
    assert.match(a.message!, /^failed to create typed patch object \(apps\/v1, Kind=Deployment\): \.spec\.replicas: /);
    assert.equal(statusOf(() => checkBody({ group: '', version: 'v1', kind: 'DeleteOptions' }, { gracePeriodSeconds: 'x' })).message, 'json: cannot unmarshal string into Go struct field DeleteOptions.gracePeriodSeconds of type int64');
  });
});

describe('list and watch query parameters (ListOptions)', () => {
  const q = (s: string) => new URLSearchParams(s);
  it('parses numbers as Go does and rejects bad ones with 400', () => {
    assert.equal(listQuery(q('limit=5'), false).limit, 5);
    assert.equal(statusOf(() => listQuery(q('limit=abc'), false)).message, 'strconv.ParseInt: parsing "abc": invalid syntax');
    assert.equal(statusOf(() => listQuery(q('timeoutSeconds=99999999999999999999'), true)).message, 'strconv.ParseInt: parsing "99999999999999999999": value out of range');
  });
  it('validates resourceVersion and resourceVersionMatch with field errors (422)', () => {
    const s = statusOf(() => listQuery(q('resourceVersionMatch=Exact'), false));
    assert.equal(s.code, 422);
    assert.equal(s.message, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
    assert.equal(statusOf(() => listQuery(q('resourceVersion=1&resourceVersionMatch=Bogus'), false)).message, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: "Bogus": supported values: "Exact", "NotOlderThan", ""');
    assert.equal(statusOf(() => listQuery(q('resourceVersion=abc'), false)).message, ' "" is invalid: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax');
    assert.equal(listQuery(q('resourceVersion=12&resourceVersionMatch=Exact'), false).rv, 12);
    assert.equal(statusOf(() => listQuery(q('resourceVersionMatch=NotOlderThan'), true)).code, 422);
  });
  it('a resourceVersion in the future is 504 Too large resource version, as Kubernetes', () => {
    const s = tooLargeResourceVersion(99999999999, 42).status;
    assert.deepEqual(s, {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Timeout', code: 504,
      message: 'Timeout: Too large resource version: 99999999999, current: 42',
      details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
    });
  });
});

describe('decoders under the fuzz generator (property)', () => {
  it('every mutated manifest of every kind decodes or fails with a 4xx Status, and what decodes type-checks again', () => {
    const g = new Gen(1313);
    const seen = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      const r = g.pick(resources);
      const { text } = mutate(g, baseManifest(r, `p${i}`));
      const ct = g.chance(0.1) ? g.pick(['application/yaml', 'text/plain', '', 'application/json;charset=utf-8']) : 'application/json';
      let code = 200;
      try {
        const obj = decodeRequestObject(r, Buffer.from(text), ct);
        assert.ok(obj && typeof obj === 'object' && !Array.isArray(obj));
        typeCheck(r, obj as unknown as Record<string, unknown>);
        // a decoded object survives the apply and patch checks too
        checkAppliedObject(r, structuredClone(obj));
        checkPatchedObject(r, structuredClone(obj));
      } catch (err) {
        assert.ok(err instanceof StatusError, `#${i} ${r.kind} ${text.slice(0, 200)}: ${(err as Error).stack}`);
        code = err.status.code;
        assert.ok(code >= 400 && code < 500, `#${i}: ${code}`);
        assert.equal(err.status.kind, 'Status');
      }
      seen.set(code, (seen.get(code) ?? 0) + 1);
    }
    // the generator reaches both sides
    assert.ok((seen.get(200) ?? 0) > 300 && (seen.get(400) ?? 0) > 300, JSON.stringify([...seen]));
    assert.ok(findResource('', 'v1', 'pods'));
  });
});
