/**
 * A clean `skiff server` shutdown (SIGTERM) stops every container of its nodes, those of pods already
 * Terminating in a long grace period too (SIGKILL at the shutdown's deadline), in both network modes and,
 * in netns mode, with both container runtimes (a catalog image runs as processes, an imported OCI image
 * under crun). And in netns mode, a container whose launcher (the `unshare` of its PID namespace, the OCI
 * shim, or `crun run` under it) is killed with SIGKILL loses all its processes and is reported terminated
 * (137), even when its PID 1 left the launcher's session. Processes are found by a marker in their environment, and by the
 * node-side PID the kubelet recorded, so nothing escapes the check by changing session or parent.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { imageStoreDir, openImageStore } from '../../src/agent/images/oci/store.js';
import { findOciBinary } from '../../src/agent/runtime/oci/cli.js';
import { TestCluster, testNetwork } from '../support/cluster.js';
import { buildTestImages, TEST_IMAGE, testImageSkipReason } from '../support/oci-image.js';
import { childrenOf, processesWithEnv, recordedContainerPids, stillRunning } from '../support/pod-processes.js';
import { waitFor } from '../support/ports.js';

const MARK = 'SKSD_MARK';
const run = randomBytes(6).toString('hex');
/** A container that ignores SIGTERM (so do its children: an ignored signal stays ignored across exec). */
const stubborn = `trap '' TERM; echo up; while true; do sleep 1; done`;
const ociImage = `${TEST_IMAGE}:v1`;

function pod(o: { name: string; image?: string; containers: { name: string; command: string[] }[]; grace?: number }): string {
  const containers = o.containers.map((c) => `
  - name: ${c.name}
    image: ${o.image ?? 'busybox'}
    imagePullPolicy: ${o.image ? 'Never' : 'IfNotPresent'}
    command: ${JSON.stringify(c.command)}
    env: [{ name: ${MARK}, value: "${run}-${o.name}-${c.name}" }]`).join('');
  return `apiVersion: v1
kind: Pod
metadata: { name: ${o.name} }
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: ${o.grace ?? 300}
  containers:${containers}
`;
}

/** mountinfo lines of mounts under the cluster's data dir. */
const clusterMounts = (dataDir: string) => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith(`${dataDir}/`));
const cmdlineOf = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch {
    return '';
  }
};
const marked = (name: string, container: string) => processesWithEnv(MARK, `${run}-${name}-${container}`);

describe('a clean shutdown stops every container, those in their grace period too', () => {
  let c: TestCluster | undefined;
  let dir: string | undefined;
  /** Every process the test's pods had: killed by PID at the end whatever happened. */
  const seen = new Set<number>();
  let oci = false;

  const getPod = async (name: string): Promise<Pod> => JSON.parse(await c!.k('get', 'pod', name, '-o', 'json')) as Pod;
  const running = (name: string, containers: number) =>
    waitFor(`${name} running`, async () => {
      const p = await getPod(name);
      const st = p.status?.containerStatuses ?? [];
      return st.length === containers && st.every((s) => s.state?.running) ? p : undefined;
    }, 60_000);
  const track = (pids: Iterable<number>) => {
    for (const pid of pids) seen.add(pid);
  };

  before(async () => {
    const netns = testNetwork() === 'netns';
    const ociSkip = netns ? (findOciBinary() ? undefined : 'no crun/runc') ?? (await testImageSkipReason()) : 'loopback mode';
    let archive: string | undefined;
    if (!ociSkip) {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-shutdown-e2e-'));
      archive = (await buildTestImages(path.join(dir, 'images'))).v1;
    }
    c = await TestCluster.start();
    await waitFor('a Ready node', async () => ((await c!.k('get', 'nodes', '-o', 'jsonpath={.items[0].status.conditions[?(@.type=="Ready")].status}')).trim() === 'True' ? true : undefined), 30_000);
    oci = !!archive && c.logs.includes('container runtime: oci');
    if (oci) await openImageStore({ root: imageStoreDir(c.dataDir) }).importArchive(archive!);
  });

  it('says which container runtimes it covers', (t) => {
    t.diagnostic(`${testNetwork()} mode; container runtimes: process${oci ? ' and oci' : ''}`);
  });

  after(async () => {
    // the test's own cleanup, by PID: nothing it started may outlive it, even when an assertion failed
    for (const pid of stillRunning([...seen])) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await c?.stop();
    // and every mount a failed shutdown left under the cluster's data dir (deepest first), so it can be removed
    const left = c ? clusterMounts(c.dataDir).map((l) => l.split(' ')[4]!).sort((a, b) => b.length - a.length) : [];
    for (const m of left) spawnSync('umount', ['-l', m]);
    await c?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('kill -9 of a container\'s launcher: all its processes are gone and it is reported terminated (137)', { skip: testNetwork() === 'netns' ? false : 'netns mode only: in loopback mode the launcher execs the command itself' }, async () => {
    // `plain`: PID 1 in the launcher's session; `own-session`: PID 1 called setsid (as daemons and init shims do)
    await c!.kubectl(['apply', '-f', '-'], { input: pod({ name: 'sksd-launcher', containers: [{ name: 'plain', command: ['sh', '-c', stubborn] }, { name: 'own-session', command: ['setsid', 'sh', '-c', stubborn] }] }) });
    const manifests = [{ name: 'sksd-launcher', containers: ['plain', 'own-session'] }];
    if (oci) {
      // `shim`: the recorded process (the shim around `crun run`) is killed; `runtime`: `crun run` itself
      await c!.kubectl(['apply', '-f', '-'], { input: pod({ name: 'sksd-launcher-oci', image: ociImage, containers: [{ name: 'shim', command: ['sh', '-c', stubborn] }, { name: 'runtime', command: ['sh', '-c', stubborn] }] }) });
      manifests.push({ name: 'sksd-launcher-oci', containers: ['shim', 'runtime'] });
    }
    for (const m of manifests) {
      const p = await running(m.name, m.containers.length);
      const recorded = recordedContainerPids(c!.dataDir, p.metadata!.uid!);
      for (const name of m.containers) {
        const launcher = recorded.get(name);
        assert.ok(launcher, `${m.name}/${name}: the kubelet recorded its process`);
        const pids = await waitFor(`${m.name}/${name}: its processes`, () => (marked(m.name, name).length > 0 ? marked(m.name, name) : undefined), 10_000);
        track(pids);
        track([launcher, ...childrenOf(launcher)]);
        const crun = childrenOf(launcher).find((pid) => /(^|\/)(crun|runc)\0/.test(cmdlineOf(pid)));
        if (name === 'runtime') assert.ok(crun, `${m.name}/${name}: the shim runs crun (children of ${launcher}: ${childrenOf(launcher).map(cmdlineOf).join(' | ')})`);
        const victim = name === 'runtime' ? crun! : launcher;
        process.kill(victim, 'SIGKILL');
        await waitFor(`${m.name}/${name}: no process left after kill -9 of pid ${victim}`, () => (stillRunning([...pids, ...marked(m.name, name)]).length === 0 ? true : undefined), 10_000);
        const terminated = await waitFor(`${m.name}/${name}: reported terminated`, async () => (await getPod(m.name)).status?.containerStatuses?.find((s) => s.name === name)?.state?.terminated, 15_000);
        assert.equal(terminated.exitCode, 137, `${m.name}/${name}: ${JSON.stringify(terminated)}`);
      }
    }
  });

  it('SIGTERM to the server while pods are Terminating (grace period 300 s, SIGTERM ignored): no process of them is left', async () => {
    const pods = [{ name: 'sksd-grace', image: undefined as string | undefined }];
    if (oci) pods.push({ name: 'sksd-grace-oci', image: ociImage });
    // one pod that is not being deleted, for contrast: shutdown stops it too
    pods.push({ name: 'sksd-steady', image: undefined });
    for (const p of pods) await c!.kubectl(['apply', '-f', '-'], { input: pod({ name: p.name, ...(p.image ? { image: p.image } : {}), containers: [{ name: 'main', command: ['sh', '-c', stubborn] }] }) });
    const pids = new Map<string, number[]>();
    for (const p of pods) {
      const obj = await running(p.name, 1);
      const recorded = recordedContainerPids(c!.dataDir, obj.metadata!.uid!).get('main');
      assert.ok(recorded, `${p.name}: the kubelet recorded its process`);
      const found = await waitFor(`${p.name}: its processes`, () => (marked(p.name, 'main').length > 0 ? marked(p.name, 'main') : undefined), 10_000);
      // the recorded process lives as long as the container; the marked ones include short-lived `sleep`s
      pids.set(p.name, [recorded]);
      track([recorded, ...found]);
    }
    const deleting = pods.filter((p) => p.name !== 'sksd-steady').map((p) => p.name);
    await c!.k('delete', 'pod', ...deleting, '--wait=false');
    // the kubelet sent SIGTERM (its Killing event), and the containers ignored it
    for (const name of deleting) {
      await waitFor(`${name}: Killing event`, async () => {
        const events = JSON.parse(await c!.k('get', 'events', '-o', 'json')) as { items: { reason?: string; involvedObject?: { name?: string } }[] };
        return events.items.some((e) => e.reason === 'Killing' && e.involvedObject?.name === name) ? true : undefined;
      }, 15_000);
      assert.ok((await getPod(name)).metadata?.deletionTimestamp, `${name} is Terminating`);
      assert.deepEqual(stillRunning(pids.get(name)!), pids.get(name), `${name}: in its grace period, its recorded process still runs`);
      assert.ok(marked(name, 'main').length > 0, `${name}: in its grace period, its processes still run`);
    }

    await c!.stop();
    for (const p of pods) {
      assert.deepEqual(stillRunning(pids.get(p.name)!), [], `${p.name}: its recorded process is gone after shutdown`);
      assert.deepEqual(marked(p.name, 'main'), [], `${p.name}: no process with its marker left after shutdown`);
    }
    assert.deepEqual(c!.lastExit, { code: 0, signal: null }, `the server stopped by itself:\n${c!.logs.slice(-3000)}`);
    // netns mode: the node agent stopped its containers itself (the server's last-resort sweep of the
    // namespaces would kill their processes, but not release what the agent holds for them)
    assert.doesNotMatch(c!.logs, /after SIGTERM: SIGKILL/, 'every node agent stopped by itself');
    assert.deepEqual(clusterMounts(c!.dataDir), [], 'no mount of the cluster is left (OCI root filesystems)');
  });
});
