/**
 * netns mode with `--proxy-mode nftables`: the node's kube-proxy programs table `ip kube-proxy`, which
 * `kubectl debug node/...` shows, and a ClusterIP answers from the machine through it. Root only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { run, TestCluster } from '../support/cluster.js';
import { netnsSkipReason } from '../support/netns.js';
import { waitFor } from '../support/ports.js';

const skip = await netnsSkipReason();

describe('a netns cluster in nftables mode', { skip }, () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.start({ network: 'netns', nodes: 1, extraArgs: ['--proxy-mode', 'nftables', '--disable', 'traefik'] });
    const manifest = `apiVersion: apps/v1
kind: Deployment
metadata: {name: echo}
spec:
  replicas: 2
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      containers: [{name: echo, image: skiff/echo, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports: [{name: http, port: 80, targetPort: 8080}]
`;
    assert.equal((await cluster.kubectl(['apply', '-f', '-'], { input: manifest })).code, 0);
    await cluster.k('rollout', 'status', 'deployment/echo', '--timeout=60s');
  });
  after(async () => {
    await cluster?.destroy();
  });

  it('says so in the agent log and shows the nftables rules through kubectl debug node', async () => {
    assert.match(cluster.logs, /kube-proxy: mode nftables/);
    const node = (await cluster.k('get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}')).trim();
    const table = await waitFor('the echo service chain', async () => {
      const r = await cluster.kubectl(['debug', `node/${node}`, '-it', '--image=busybox', '--', 'nft', 'list', 'table', 'ip', 'kube-proxy'], { timeoutMs: 60_000 });
      return r.code === 0 && /chain service-\S+-default\/echo\/tcp\/http \{[^}]*numgen random mod 2 vmap \{ 0 : goto endpoint-\S+, 1 : goto endpoint-\S+ \}/.test(r.stdout) ? r.stdout : undefined;
    }, 60_000, 1000);
    assert.match(table, /^table ip kube-proxy \{/m);
  });

  it('answers the ClusterIP from the machine through the kernel', async () => {
    const ip = (await cluster.k('get', 'svc', 'echo', '-o', 'jsonpath={.spec.clusterIP}')).trim();
    await cluster.assertRouted(ip);
    const body = await waitFor('the ClusterIP', async () => {
      const r = await run('curl', ['-s', '--max-time', '3', `http://${ip}/`]);
      return r.code === 0 && r.stdout ? r.stdout : undefined;
    }, 20_000, 250);
    assert.match(body, /"hostname": "echo-/);
  });
});
