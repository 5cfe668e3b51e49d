// Volumes in loopback mode without mount namespaces (what a non-root machine gets): a control plane and
// one agent with pod isolation off (test/support/node-runtime-child.ts, SKNP_ISOLATION=none), driven by
// the real kubectl. The kubelet cannot mount, so it says where each volume lives (event, describe) and
// exports the paths (SKIFF_VOLUME_<NAME>, SKIFF_MOUNTS); the volume content is the same.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { claimAddressBlock, type AddressBlock } from '../support/address-block.js';
import { waitFor } from '../support/ports.js';
import { volShell } from '../support/volumes.js';

const childFile = fileURLToPath(new URL('../support/node-runtime-child.ts', import.meta.url));

describe('volumes without mount namespaces (loopback, isolation none)', () => {
  let child: ChildProcess | undefined;
  let kubeconfig = '';
  let block: AddressBlock | undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-vol-loop-'));

  before(async () => {
    block = await claimAddressBlock();
    const env: NodeJS.ProcessEnv = { ...process.env, SKNP_NETWORK: 'loopback', SKNP_ISOLATION: 'none', SKNP_OCTET: String(block.octet), SKNP_DATA_DIR: dataDir };
    delete env['NODE_TEST_CONTEXT'];
    const c = spawn(process.execPath, ['--import', 'tsx', childFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let err = '';
    c.stderr!.on('data', (d) => (err += d));
    kubeconfig = await new Promise<string>((resolve, reject) => {
      c.stdout!.on('data', (d: Buffer) => {
        const m = /READY (\S+)/.exec(String(d));
        if (m) resolve(m[1]!);
      });
      c.once('exit', (code) => reject(new Error(`control plane exited ${code}: ${err}`)));
    });
  });

  after(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    await block?.release();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const kubectl = (args: string[], input?: string) =>
    new Promise<string>((resolve, reject) => {
      const p = execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout)));
      if (input !== undefined) p.stdin!.end(input);
    });

  it('says in an event and in describe where each volume lives, exports the paths, and the files are there', async () => {
    await kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: loopback}
---
apiVersion: v1
kind: Pod
metadata: {name: plain}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sh, -c, ${JSON.stringify(volShell + 'cat $(vol /etc/settings)/mode; echo; cat $(vol /var/run/secrets/kubernetes.io/serviceaccount)/namespace; echo; exec sleep 3600')}]
    volumeMounts: [{name: settings, mountPath: /etc/settings}]
  volumes: [{name: settings, configMap: {name: settings}}]
`);
    await kubectl(['wait', '--for=condition=Ready', 'pod/plain', '--timeout=60s']);
    const env = await kubectl(['exec', 'plain', '--', 'env']);
    const m = /^SKIFF_VOLUME_SETTINGS=(\/\S+)$/m.exec(env);
    assert.ok(m, env);
    assert.match(m[1]!, /\/volumes\/kubernetes\.io~configmap\/settings$/);
    assert.equal(fs.readFileSync(path.join(m[1]!, 'mode'), 'utf8'), 'loopback');
    assert.match(env, /^SKIFF_VOLUME_KUBE_API_ACCESS_[A-Z0-9]{5}=\//m);
    assert.match(env, /^SKIFF_MOUNTS=\/etc\/settings=\//m);
    const logs = await waitFor('the pod read its volumes', async () => {
      const l = await kubectl(['logs', 'plain']);
      return /^default$/m.test(l) ? l : undefined;
    });
    assert.match(logs, /^loopback$/m);
    const describe = await kubectl(['describe', 'pod', 'plain']);
    assert.match(describe, /VolumesNotMounted\s+\d+s\s+kubelet\s+no mount namespace in loopback mode: container main finds its volumes at their host paths: \/etc\/settings -> \/\S+\/settings \(\$SKIFF_VOLUME_SETTINGS\)/);
    await kubectl(['delete', 'pod', 'plain', '--grace-period=0', '--force', '--wait=true']);
  });
});
