/**
 * netns mode as a user sees it (issue 8's Done-when, the parts the host side and the pod sandboxes give):
 * pods get IPs from the pod CIDR in namespaces of their own, a pod on node 1 reaches a pod on node 2 by pod
 * IP, resolv.conf is Kubernetes' three lines, short service names resolve and answer inside a pod, two nginx
 * pods on one node both listen on 0.0.0.0:80, and the machine reaches pod IPs, ClusterIPs and LoadBalancer
 * IPs through skiff's own interface. Root only (skips with a message otherwise).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { run, TestCluster } from '../support/cluster.js';
import { netnsSkipReason } from '../support/netns.js';
import { waitFor } from '../support/ports.js';

const skip = await netnsSkipReason();

describe('a netns cluster with the real kubectl', { skip }, () => {
  let cluster: TestCluster;
  let node1 = '';
  let node2 = '';
  const podIP = async (name: string) => (await cluster.k('get', 'pod', name, '-o', 'jsonpath={.status.podIP}')).trim();
  const inCIDR = (ip: string, cidr: string) => ip.startsWith(cidr.split('.').slice(0, 2).join('.') + '.') && Number(ip.split('.')[2]) >= Number(cidr.split('.')[2]);

  before(async () => {
    cluster = await TestCluster.start({ network: 'netns', nodes: 2 });
    const names = await waitFor('2 Ready nodes', async () => {
      const out = (await cluster.k('get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.addresses[?(@.type=="InternalIP")].address}={.status.conditions[?(@.type=="Ready")].status} {end}')).trim();
      const rows = out.split(' ').map((r) => r.split('='));
      return rows.length === 2 && rows.every((r) => r[2] === 'True') ? rows : undefined;
    }, 30_000);
    node1 = names.find((r) => r[1] === cluster.netns!.nodeIP(1))![0]!;
    node2 = names.find((r) => r[1] === cluster.netns!.nodeIP(2))![0]!;
    const manifest = `apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: ${node1}
  containers: [{name: bb, image: busybox, command: [sleep, "3600"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: echo, labels: {app: echo}}
spec:
  nodeName: ${node2}
  containers: [{name: echo, image: skiff/echo, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: echo-svc}
spec:
  selector: {app: echo}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: echo-lb}
spec:
  type: LoadBalancer
  selector: {app: echo}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: nginx-a, labels: {app: web}}
spec:
  nodeName: ${node1}
  containers: [{name: nginx, image: nginx, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: nginx-b, labels: {app: web}}
spec:
  nodeName: ${node1}
  containers: [{name: nginx, image: nginx, ports: [{containerPort: 80}]}]
`;
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: manifest });
    assert.equal(r.code, 0, r.stderr);
    await cluster.k('wait', '--for=condition=Ready', 'pod/client', 'pod/echo', 'pod/nginx-a', 'pod/nginx-b', '--timeout=60s');
  });
  after(async () => {
    await cluster?.destroy();
  });

  it('runs cluster DNS and the ingress controller as pods in kube-system, as kubeadm deploys CoreDNS', async () => {
    const pods = await waitFor('coredns and ingress pods Ready', async () => {
      const out = (await cluster.k('get', 'pods', '-n', 'kube-system', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.metadata.labels.k8s-app} {.status.podIP} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}')).trim();
      const rows = out.split('\n').map((l) => l.split(' '));
      const dns = rows.filter((r) => r[0]!.startsWith('coredns-') && r[1] === 'kube-dns' && r[3] === 'True');
      const ingress = rows.filter((r) => r[0]!.startsWith('skiff-ingress-controller-') && r[3] === 'True');
      return dns.length === 2 && ingress.length === 1 ? { dns, ingress } : undefined;
    }, 60_000, 250);
    for (const r of [...pods.dns, ...pods.ingress]) assert.ok(inCIDR(r[2]!, cluster.clusterCIDR), `${r[0]} ${r[2]}`);
    const deploy = await cluster.k('get', 'deployment', '-n', 'kube-system', 'coredns', '-o', 'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}');
    assert.equal(deploy, '2 skiff/dns:latest');
    // kube-dns selects the CoreDNS pods; its EndpointSlice holds their pod IPs
    const slice = await waitFor('kube-dns endpoints', async () => {
      const out = (await cluster.k('get', 'endpointslices', '-n', 'kube-system', '-l', 'kubernetes.io/service-name=kube-dns', '-o', 'jsonpath={.items[*].endpoints[*].addresses[0]}')).trim();
      return out.split(' ').length === 2 ? out : undefined;
    }, 20_000, 250);
    assert.deepEqual(slice.split(' ').sort(), pods.dns.map((r) => r[2]!).sort());
    assert.equal((await cluster.k('get', 'svc', '-n', 'kube-system', 'kube-dns', '-o', 'jsonpath={.spec.selector.k8s-app}')), 'kube-dns');
  });

  it('routes an Ingress through the ingress pod on its LoadBalancer IP from the machine', async () => {
    const ing = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: echo}
spec:
  rules: [{host: echo.example, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: echo-svc, port: {number: 80}}}}]}}]
`;
    assert.equal((await cluster.kubectl(['apply', '-f', '-'], { input: ing })).code, 0);
    const lb = await waitFor('skiff-ingress LoadBalancer IP', async () => (await cluster.k('get', 'svc', '-n', 'kube-system', 'skiff-ingress', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}')).trim() || undefined, 20_000);
    await cluster.assertRouted(lb);
    const body = await waitFor('the Ingress to answer', async () => {
      const r = await run('curl', ['-s', '--max-time', '3', '-H', 'Host: echo.example', `http://${lb}/`]);
      return r.code === 0 && r.stdout.includes('"hostname"') ? r.stdout : undefined;
    }, 30_000, 250);
    assert.match(body, /"hostname": "echo"/);
  });

  it('shows kube-proxy\'s iptables chains through kubectl debug node/... (a hostNetwork pod in the node netns)', async () => {
    // kube-dns has the two CoreDNS pods: its KUBE-SVC chain picks the first with probability 1/2
    const out = await waitFor('KUBE-SVC chains of kube-dns', async () => {
      const r = await cluster.kubectl(['debug', `node/${node1}`, '-it', '--image=busybox', '--', 'iptables-save', '-t', 'nat'], { timeoutMs: 60_000 });
      return r.code === 0 && /-A KUBE-SVC-\S+ .*kube-system\/kube-dns:dns .*-m statistic --mode random --probability 0\.50000000000 -j KUBE-SEP-/.test(r.stdout) ? r.stdout : undefined;
    }, 60_000, 1000);
    assert.match(out, /^:KUBE-SERVICES - \[0:0\]$/m);
    assert.match(out, /^-A KUBE-SEP-\S+ -p udp -m comment --comment "?kube-system\/kube-dns:dns"? -m udp -j DNAT --to-destination 10\.\d+\.\d+\.\d+:53$/m);
    // the debug pod runs on that node, in its network namespace
    const pods = await cluster.k('get', 'pods', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.hostNetwork} {.spec.nodeName}{"\\n"}{end}');
    assert.match(pods, new RegExp(`^node-debugger-${node1}-\\S+ true ${node1}$`, 'm'));
  });

  it('gives pods IPs from their node\'s podCIDR inside the cluster CIDR', async () => {
    for (const [pod, node] of [['client', node1], ['echo', node2]] as const) {
      const ip = await podIP(pod);
      const cidr = (await cluster.k('get', 'node', node, '-o', 'jsonpath={.spec.podCIDR}')).trim();
      assert.ok(inCIDR(ip, cluster.clusterCIDR), `${pod} ${ip} in ${cluster.clusterCIDR}`);
      assert.equal(ip.split('.').slice(0, 3).join('.'), cidr.split('.').slice(0, 3).join('.'), `${pod} ${ip} in ${node}'s ${cidr}`);
    }
    const eth0 = await cluster.k('exec', 'client', '--', 'ip', '-4', 'addr', 'show', 'eth0');
    assert.match(eth0, new RegExp(`inet ${(await podIP('client')).replace(/\./g, '\\.')}/24`));
  });

  it('reaches a pod on node 2 from a pod on node 1 by pod IP', async () => {
    const body = await cluster.k('exec', 'client', '--', 'wget', '-qO-', '-T', '5', `http://${await podIP('echo')}:8080/`);
    assert.match(body, /"hostname": "echo"/);
  });

  it('writes Kubernetes\' three resolv.conf lines', async () => {
    const conf = await cluster.k('exec', 'client', '--', 'cat', '/etc/resolv.conf');
    const dns = cluster.serviceCIDR.replace(/0\/\d+$/, '10');
    assert.equal(conf, `search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver ${dns}\noptions ndots:5\n`);
  });

  it('resolves and reaches a short service name from inside a pod', async () => {
    const clusterIP = (await cluster.k('get', 'svc', 'echo-svc', '-o', 'jsonpath={.spec.clusterIP}')).trim();
    const ns = await waitFor('nslookup echo-svc', async () => {
      const r = await cluster.kubectl(['exec', 'client', '--', 'nslookup', 'echo-svc']);
      return r.code === 0 && r.stdout.includes(clusterIP) ? r.stdout : undefined;
    }, 20_000, 250);
    assert.match(ns, new RegExp(`Name:\\s+echo-svc\\.default\\.svc\\.cluster\\.local\\nAddress:\\s+${clusterIP.replace(/\./g, '\\.')}`));
    const body = await cluster.k('exec', 'client', '--', 'wget', '-qO-', '-T', '5', 'http://echo-svc/');
    assert.match(body, /"hostname": "echo"/);
  });

  it('lets a pod reach itself through its own Service (hairpin)', async () => {
    const body = await cluster.k('exec', 'echo', '--', 'wget', '-qO-', '-T', '5', 'http://echo-svc/');
    assert.match(body, /"hostname": "echo"/);
  });

  it('runs two nginx pods on one node, both listening on 0.0.0.0:80', async () => {
    for (const pod of ['nginx-a', 'nginx-b']) {
      const listening = await cluster.k('exec', pod, '--', 'sh', '-c', 'cat /proc/net/tcp');
      // 00000000:0050 = 0.0.0.0:80, state 0A = LISTEN
      assert.match(listening, /^\s*\d+: 00000000:0050 00000000:0000 0A /m, `${pod}:\n${listening}`);
      const body = await cluster.k('exec', 'client', '--', 'wget', '-qO-', '-T', '5', `http://${await podIP(pod)}/`);
      assert.match(body, /Welcome to nginx!/);
    }
  });

  it('reaches pod IPs, ClusterIPs and LoadBalancer IPs from the machine through skiff\'s interface', async () => {
    const echo = await podIP('echo');
    const clusterIP = (await cluster.k('get', 'svc', 'echo-svc', '-o', 'jsonpath={.spec.clusterIP}')).trim();
    const lb = await waitFor('a LoadBalancer IP', async () => (await cluster.k('get', 'svc', 'echo-lb', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}')).trim() || undefined, 20_000);
    assert.ok(inCIDR(lb, cluster.lbPool), `${lb} in ${cluster.lbPool}`);
    for (const url of [`http://${echo}:8080/`, `http://${clusterIP}/`, `http://${lb}/`]) {
      await cluster.assertRouted(new URL(url).hostname);
      const r = await waitFor(url, async () => {
        const c = await run('curl', ['-s', '--max-time', '3', url]);
        return c.code === 0 && c.stdout ? c.stdout : undefined;
      }, 15_000, 250);
      assert.match(r, /"hostname": "echo"/, url);
    }
  });
});
