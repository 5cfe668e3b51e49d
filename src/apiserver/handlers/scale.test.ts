import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toScale } from './scale.js';

describe('toScale', () => {
  it('formats status.selector as metav1.FormatLabelSelector: every requirement sorted by key', () => {
    const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns' }, spec: { replicas: 3, selector: { matchLabels: { b: '1', Z: '2' }, matchExpressions: [{ key: 'a', operator: 'Exists' }] } }, status: { replicas: 2 } };
    const s = toScale(d) as unknown as { spec: { replicas: number }; status: { replicas: number; selector: string } };
    assert.deepEqual([s.spec.replicas, s.status.replicas, s.status.selector], [3, 2, 'Z=2,a,b=1']);
  });
});
