// Hand-encoded bodies for what the kubectl generators never send: timestamps, quantities,
// inline structs, pointer zero values, meta/v1 kinds, unknown fields and malformed input.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeKubernetesProtobuf } from './decode.js';

const enc = new TextEncoder();
function varint(n: bigint | number): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v ? b | 0x80 : b);
  } while (v);
  return out;
}
const int = (num: number, n: number | bigint) => [...varint((num << 3) | 0), ...varint(n)];
const bytes = (num: number, b: number[] | Uint8Array) => [...varint((num << 3) | 2), ...varint(b.length), ...b];
const str = (num: number, s: string) => bytes(num, enc.encode(s));
const msg = (num: number, ...parts: number[][]) => bytes(num, parts.flat());
function body(apiVersion: string, kind: string, raw: number[]): Uint8Array {
  return new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...msg(1, str(1, apiVersion), str(2, kind)), ...bytes(2, raw), ...str(3, ''), ...str(4, '')]);
}

describe('decodeKubernetesProtobuf special types', () => {
  it('decodes MicroTime with microseconds, keeps a pointer zero, and Time without nanos', () => {
    const meta = msg(1, str(1, 'l'), str(3, 'kube-system'), msg(8, int(1, 1700000000), int(2, 999)));
    const spec = msg(2, str(1, 'node-a'), int(2, 0), msg(3, int(1, 1700000001), int(2, 123456789)), int(5, 0));
    const { object } = decodeKubernetesProtobuf(body('coordination.k8s.io/v1', 'Lease', [...meta, ...spec]));
    assert.deepEqual(object, {
      kind: 'Lease', apiVersion: 'coordination.k8s.io/v1',
      metadata: { name: 'l', namespace: 'kube-system', creationTimestamp: '2023-11-14T22:13:20Z' },
      spec: { holderIdentity: 'node-a', leaseDurationSeconds: 0, acquireTime: '2023-11-14T22:13:21.123456Z', leaseTransitions: 0 },
    });
  });

  it('decodes quantities, inline handlers and volume sources, int-or-string, and skips unknown fields', () => {
    const container = msg(2,
      str(1, 'c'), str(2, 'nginx'),
      msg(8, msg(1, str(1, 'cpu'), msg(2, str(1, '500m'))), msg(2, str(1, 'memory'), msg(2, str(1, '64Mi')))),
      msg(11, msg(1, msg(2, str(1, '/healthz'), msg(2, int(1, 1), str(3, 'http')))), int(2, 0), int(3, 5)),
      int(16, 0), int(99, 7));
    const volume = msg(1, str(1, 'scratch'), msg(2, msg(2, str(1, ''))));
    const pod = [...msg(1, str(1, 'p'), msg(8)), ...msg(2, volume, container, int(21, 0))];
    const { object } = decodeKubernetesProtobuf(body('v1', 'Pod', pod));
    assert.deepEqual(object, {
      kind: 'Pod', apiVersion: 'v1',
      metadata: { name: 'p', creationTimestamp: null },
      spec: {
        volumes: [{ name: 'scratch', emptyDir: {} }],
        containers: [{
          name: 'c', image: 'nginx',
          resources: { limits: { cpu: '500m' }, requests: { memory: '64Mi' } },
          readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, timeoutSeconds: 5 },
        }],
        automountServiceAccountToken: false,
      },
    });
  });

  it('decodes meta/v1 kinds under any group version (DeleteOptions)', () => {
    const { object, kind, apiVersion } = decodeKubernetesProtobuf(body('apps/v1', 'DeleteOptions', [...int(1, 0), ...str(4, 'Foreground'), ...str(5, 'All')]));
    assert.equal(kind, 'DeleteOptions');
    assert.equal(apiVersion, 'apps/v1');
    assert.deepEqual(object, { kind: 'DeleteOptions', apiVersion: 'apps/v1', gracePeriodSeconds: 0, propagationPolicy: 'Foreground', dryRun: ['All'] });
  });

  it('decodes negative int32 values (ten-byte varints)', () => {
    const { object } = decodeKubernetesProtobuf(body('autoscaling/v1', 'Scale', [...msg(2, int(1, -1))]));
    assert.deepEqual(object, { kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: -1 } });
  });

  it('rejects malformed bodies with clear errors', () => {
    assert.throws(() => decodeKubernetesProtobuf(enc.encode('{"kind":"Pod"}')), /does not start with the "k8s\\x00" prefix/);
    assert.throws(() => decodeKubernetesProtobuf(body('v1', 'Widget', [])), /no protobuf decoding is known for Widget in v1/);
    assert.throws(() => decodeKubernetesProtobuf(body('v1', '', [])), /no apiVersion or kind/);
    const truncated = body('v1', 'ConfigMap', msg(1, str(1, 'c')));
    assert.throws(() => decodeKubernetesProtobuf(truncated.subarray(0, truncated.length - 1)), /malformed protobuf/);
    assert.throws(() => decodeKubernetesProtobuf(body('v1', 'ConfigMap', int(1, 5))), /malformed protobuf body at ConfigMap.metadata: expected a length-delimited field/);
    assert.throws(() => decodeKubernetesProtobuf(body('v1', 'ConfigMap', msg(1, int(1, 5)))), /ConfigMap.metadata.name: string field 1 has wire type 0/);
  });
});
