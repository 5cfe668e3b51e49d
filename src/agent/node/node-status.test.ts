import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newNode, nodeConditions, nodeStatus, osImage, statusChanged } from './node-status.js';
import { microTime } from './node-agent.js';

const id = { nodeName: 'n1', nodeIP: '127.0.0.1', kubeletPort: 10250, isControlPlane: true, dataDir: '/tmp' };
const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('node status', () => {
  it('reads PRETTY_NAME from os-release', () => {
    assert.equal(osImage('NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'), 'Debian GNU/Linux 12 (bookworm)');
    assert.equal(osImage('NAME=x\n'), 'Unknown');
  });

  it('registers a Node as kubelet does', () => {
    const n = newNode(id, T0);
    assert.equal(n.metadata!.labels!['kubernetes.io/hostname'], 'n1');
    assert.equal(n.metadata!.labels!['kubernetes.io/os'], 'linux');
    assert.equal(n.metadata!.labels!['node-role.kubernetes.io/control-plane'], 'true');
    assert.equal(newNode({ ...id, isControlPlane: false }, T0).metadata!.labels!['node-role.kubernetes.io/control-plane'], undefined);
    const s = n.status!;
    assert.deepEqual(s.addresses, [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: 'n1' }]);
    assert.equal(s.capacity!.pods, '110');
    assert.deepEqual(s.allocatable, s.capacity);
    assert.equal(s.daemonEndpoints!.kubeletEndpoint!.Port, 10250);
    assert.equal(s.nodeInfo!.kubeletVersion, 'v1.32.4+skiff');
    assert.equal(s.nodeInfo!.containerRuntimeVersion, 'skiff://0.1.0');
    assert.deepEqual(s.conditions!.map((c) => [c.type, c.status, c.reason]), [
      ['MemoryPressure', 'False', 'KubeletHasSufficientMemory'],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID'],
      ['Ready', 'True', 'KubeletReady'],
    ]);
  });

  it('keeps lastTransitionTime while a condition holds, moves it when the status changes', () => {
    const first = nodeConditions(undefined, T0);
    const later = nodeConditions(first, T0 + 10_000);
    assert.equal(later[3]!.lastTransitionTime, '2026-01-01T00:00:00Z');
    assert.equal(later[3]!.lastHeartbeatTime, '2026-01-01T00:00:10Z');
    const afterUnknown = nodeConditions([{ ...first[3]!, status: 'Unknown' }], T0 + 20_000);
    assert.equal(afterUnknown[3]!.lastTransitionTime, '2026-01-01T00:00:20Z');
  });

  it('treats heartbeat-only differences as unchanged', () => {
    const a = nodeStatus(id, undefined, T0);
    const b = nodeStatus(id, a, T0 + 10_000);
    assert.equal(statusChanged(a, b), false);
    assert.equal(statusChanged({ ...a, conditions: a.conditions!.map((c) => (c.type === 'Ready' ? { ...c, status: 'Unknown' } : c)) }, b), true);
  });

  it('writes lease renew times as MicroTime', () => {
    assert.equal(microTime(T0 + 123), '2026-01-01T00:00:00.123000Z');
  });
});
