// Restarts of the real server on its embedded SQLite datastore: graceful (SIGTERM) and kill -9 mid-writes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { apiOnly } from '../support/kubectl.js';
import { assertCrashSurvived, assertServesAfterRestart, assertSurvived, crashDuringWrites, maxResourceVersion, populate, snapshot } from '../support/flows.js';

describe('restart (SIGTERM) keeps every object', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.start(apiOnly());
  });
  after(async () => {
    await cluster?.destroy();
  });

  it('objects, allocations and resourceVersions survive two restarts', async () => {
    await populate(cluster);
    const before = await snapshot(cluster);
    assert.ok(before.size >= 12, `populated ${before.size} objects`);
    await cluster.restart();
    const first = await snapshot(cluster);
    assertSurvived(before, first);
    await assertServesAfterRestart(cluster, maxResourceVersion(first));
    const beforeSecond = await snapshot(cluster);
    await cluster.restart();
    assertSurvived(beforeSecond, await snapshot(cluster));
    assert.equal(await cluster.k('get', 'cm', 'conf', '-n', 'durable', '-o', 'jsonpath={.data.a}'), '1');
    assert.equal(await cluster.k('get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}'), '3');
  });

  it('the server exits cleanly on SIGTERM and keeps its credentials', async () => {
    const token = await cluster.token();
    await cluster.restart();
    assert.equal(await cluster.token(), token);
    assert.match(cluster.logs, /skiff is ready/);
    assert.equal((await cluster.kubectl(['get', 'ns', 'durable', '-o', 'name'])).stdout, 'namespace/durable\n');
  });
});

describe('kill -9 in the middle of writes', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.start(apiOnly());
  });
  after(async () => {
    await cluster?.destroy();
  });

  it('every acknowledged write survives and new writes get higher resourceVersions', async () => {
    const result = await crashDuringWrites(cluster);
    assert.ok(result.acknowledged.size >= 60);
    await cluster.restart();
    await assertCrashSurvived(cluster, result);
  });

  it('a second crash right after restart loses nothing either', async () => {
    const before = await snapshot(cluster);
    await cluster.kill9();
    await cluster.restart();
    assertSurvived(before, await snapshot(cluster));
  });
});
