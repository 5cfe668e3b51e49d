import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event, Node } from 'kubernetes-types/core/v1.js';
import { findResource } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { EventRecorder } from '../../client/events.js';
import { InformerFactory } from '../../client/informer-factory.js';
import { RestClient } from '../../client/rest.js';
import { FakeApiServer, runUntilTestEnds } from '../../client/testing/fake-apiserver.js';
import { FakeClock, rfc3339 } from '../../util/clock.js';
import { waitFor } from '../../util/testing.js';
import { NodeLifecycleController } from './controller.js';

const nodes = findResource('', 'v1', 'nodes')!;
const leases = findResource('coordination.k8s.io', 'v1', 'leases')!;
const events = findResource('', 'v1', 'events')!;

test('the grace period runs on the controller\'s clock from when it saw the last renewal, not from the kubelet\'s stamp', async (t) => {
  const server = new FakeApiServer();
  await server.start();
  const client = new RestClient({ server: server.url, token: 't' });
  const clock = new FakeClock();
  // the kubelet's clock is a minute behind the controller's (or its last renewal reached a restarted controller late)
  const stamp = rfc3339(clock.now() - 60_000);
  server.put(nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', creationTimestamp: rfc3339(clock.now() - 3_600_000) }, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: stamp, lastTransitionTime: stamp }] } } as KubeObject);
  server.put(leases, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'n1', renewTime: stamp.replace('Z', '.000000Z') } } as KubeObject);
  const factory = new InformerFactory({ client, log: () => {} });
  const recorder = new EventRecorder({ client, component: 'node-controller', log: () => {} });
  const ctrl = new NodeLifecycleController({ factory, recorder, clock, nodeMonitorGracePeriodMs: 2000, log: () => {} });
  runUntilTestEnds(t, { server, recorder, run: (signal) => (factory.start(signal), ctrl.run(signal)) });
  // RegisteredNode is recorded as the node is first looked at, in the same turn as its health
  await waitFor('RegisteredNode', async () => {
    await recorder.flush();
    return (await client.list<Event & KubeObject>(events, { namespace: 'default' })).items.some((e) => e.reason === 'RegisteredNode') || undefined;
  });
  clock.step(2001);
  const ready = await waitFor('n1 Unknown', () => {
    const c = (server.getObject(nodes, '', 'n1') as Node & KubeObject).status?.conditions?.find((x) => x.type === 'Ready');
    return c?.status === 'Unknown' ? c : undefined;
  });
  assert.equal(ready.lastTransitionTime, rfc3339(clock.now()), 'Unknown once the grace period was up on the controller\'s clock, not at once');
  assert.equal(ready.reason, 'NodeStatusUnknown');
});
