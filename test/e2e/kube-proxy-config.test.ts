// Seed 000: "kubectl edit configmap -n kube-system kube-proxy" and set mode "ipvs" — the ConfigMap exists,
// and the mode it names takes effect (IPVS' default scheduler is rr: exactly even, every round).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { curlHostnames, tally } from '../support/net-tools.js';
import { waitFor } from '../support/ports.js';

const echo = `apiVersion: apps/v1
kind: Deployment
metadata: {name: echo}
spec:
  replicas: 3
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      containers:
      - name: echo
        image: skiff/echo
        env: [{name: PORT, value: "8080"}]
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /readyz, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports: [{port: 8080}]
`;

// as seed 000 writes it
const seedConfiguration = `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: "ipvs"
ipvs:
  strictARP: true
`;

describe('the kube-proxy ConfigMap of seed 000', () => {
  let cluster: TestCluster;
  before(async () => {
    // loopback mode: the server's userspace proxy takes an edited ConfigMap live; a netns node's kube-proxy reads its mode at start, as kube-proxy does
    cluster = await TestCluster.start({ network: 'loopback' });
  });
  after(async () => {
    await cluster?.destroy();
  });

  it('exists in kube-system as kubeadm lays it out', async () => {
    const conf = await waitFor('ConfigMap kube-system/kube-proxy', async () => {
      const r = await cluster.kubectl(['get', 'configmap', '-n', 'kube-system', 'kube-proxy', '-o', 'jsonpath={.data.config\\.conf}']);
      return r.code === 0 && r.stdout ? r.stdout : undefined;
    });
    assert.match(conf, /^kind: KubeProxyConfiguration$/m);
    assert.match(conf, /^mode: ""$/m);
  });

  it('switching mode to "ipvs" makes the Service round robin: 30 requests, exactly 10 per pod, three rounds running', async () => {
    await cluster.kubectl(['apply', '-f', '-'], { input: echo }).then((r) => assert.equal(r.code, 0, r.stderr));
    const ip = (await cluster.k('get', 'svc', 'echo', '-o', 'jsonpath={.spec.clusterIP}')).trim();
    await waitFor('3 pods answering through the ClusterIP', async () => (tally(await curlHostnames(`http://${ip}:8080`, 30)).size === 3 ? true : undefined), 60_000, 200);
    const patch = JSON.stringify({ data: { 'config.conf': seedConfiguration } });
    await cluster.k('patch', 'configmap', '-n', 'kube-system', 'kube-proxy', '--type=merge', '-p', patch);
    // the switch is asynchronous (an informer): wait for the first exactly even round, then demand two more
    await waitFor('an exactly even round', async () => ([...tally(await curlHostnames(`http://${ip}:8080`, 30)).values()].join() === '10,10,10' ? true : undefined), 20_000, 100);
    for (let round = 0; round < 2; round++) {
      const counts = [...tally(await curlHostnames(`http://${ip}:8080`, 30)).values()];
      assert.deepEqual(counts, [10, 10, 10], `round ${round + 2}: ${counts}`);
    }
  });
  it('an unknown IPVS scheduler ("nc") is refused with a Warning event; the last good one (rr) stays', async () => {
    const ip = (await cluster.k('get', 'svc', 'echo', '-o', 'jsonpath={.spec.clusterIP}')).trim();
    const bad = seedConfiguration.replace('ipvs:\n', 'ipvs:\n  scheduler: nc\n');
    await cluster.k('patch', 'configmap', '-n', 'kube-system', 'kube-proxy', '--type=merge', '-p', JSON.stringify({ data: { 'config.conf': bad } }));
    const message = await waitFor('the Warning event', async () => {
      const r = await cluster.kubectl(['get', 'events', '-n', 'kube-system', '--field-selector', 'reason=InvalidConfiguration', '-o', 'jsonpath={.items[*].message}']);
      return r.code === 0 && r.stdout ? r.stdout : undefined;
    });
    assert.match(message, /unsupported IPVS scheduler "nc"; keeping scheduler rr/);
    assert.deepEqual([...tally(await curlHostnames(`http://${ip}:8080`, 30)).values()], [10, 10, 10]);
  });
});
