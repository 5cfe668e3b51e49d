import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Probe } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../../util/clock.js';
import { ProbeWorker, probeDefaults, unhealthyMessage, type ProbeState, type ProbeType } from './worker.js';
import type { ProbeOutcome } from './run-probe.js';

const S: ProbeOutcome = { result: 'Success', output: '' };
const F: ProbeOutcome = { result: 'Failure', output: 'HTTP probe failed with statuscode: 500' };

/** A worker whose attempts return `script` in order (the last repeats), recording times and results. */
function harness(probeType: ProbeType, probe: Probe, script: ProbeOutcome[], isStarted?: () => boolean, initialResult?: ProbeState) {
  const clock = new FakeClock();
  const start = clock.now();
  const runs: number[] = [];
  const results: Array<[number, ProbeState]> = [];
  const outcomes: ProbeOutcome[] = [];
  const worker = new ProbeWorker({
    probeType,
    probe,
    clock,
    containerStartedAt: start,
    run: async () => {
      runs.push((clock.now() - start) / 1000);
      return script[Math.min(runs.length - 1, script.length - 1)]!;
    },
    ...(isStarted ? { isStarted } : {}),
    ...(initialResult ? { initialResult } : {}),
    onResult: (r) => results.push([(clock.now() - start) / 1000, r]),
    onProbe: (o) => outcomes.push(o),
  });
  /** Steps the fake clock a second at a time, letting each attempt settle. */
  const advance = async (seconds: number): Promise<void> => {
    await worker.settled();
    for (let i = 0; i < seconds; i++) {
      clock.step(1000);
      await worker.settled();
    }
  };
  return { clock, worker, runs, results, outcomes, advance };
}

test('defaults', () => {
  assert.deepEqual(probeDefaults({}), { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
});

test('readiness starts as Failure, turns Success on the first success, Failure after failureThreshold failures', async () => {
  const h = harness('readiness', { periodSeconds: 10 }, [S, F, F, F, S]);
  h.worker.start();
  await h.advance(45);
  assert.deepEqual(h.runs, [0, 10, 20, 30, 40]);
  assert.deepEqual(h.results, [[0, 'Failure'], [0, 'Success'], [30, 'Failure'], [40, 'Success']]);
  h.worker.stop();
  await h.advance(30);
  assert.equal(h.runs.length, 5);
});

test('a readiness carried over (an adopted container that was ready) holds until failureThreshold failures, with no Failure first', async () => {
  const h = harness('readiness', { periodSeconds: 10 }, [F, F, F, S], undefined, 'Success');
  h.worker.start();
  await h.advance(35);
  assert.deepEqual(h.results, [[0, 'Success'], [20, 'Failure'], [30, 'Success']]);
  h.worker.stop();
});

test('initialDelaySeconds is counted from the container start on the probe ticks', async () => {
  const h = harness('readiness', { initialDelaySeconds: 15, periodSeconds: 10 }, [S]);
  h.worker.start();
  await h.advance(35);
  assert.deepEqual(h.runs, [20, 30]);
  assert.deepEqual(h.results, [[0, 'Failure'], [20, 'Success']]);
});

test('successThreshold needs consecutive successes', async () => {
  const h = harness('readiness', { periodSeconds: 1, successThreshold: 2 }, [S, F, S, S]);
  h.worker.start();
  await h.advance(5);
  assert.deepEqual(h.results, [[0, 'Failure'], [3, 'Success']]);
});

test('liveness starts as Success, fails after failureThreshold and then stops probing', async () => {
  const h = harness('liveness', { periodSeconds: 5, failureThreshold: 2 }, [S, F, S, F, F, S]);
  h.worker.start();
  await h.advance(60);
  assert.deepEqual(h.runs, [0, 5, 10, 15, 20]);
  assert.deepEqual(h.results, [[0, 'Success'], [20, 'Failure']]);
  assert.equal(h.worker.result, 'Failure');
  assert.equal(unhealthyMessage('liveness', h.outcomes[1]!), 'Liveness probe failed: HTTP probe failed with statuscode: 500');
  assert.equal(unhealthyMessage('liveness', h.outcomes[0]!), undefined);
});

test('startup gates liveness and readiness; startup stops after success', async () => {
  let started = false;
  const startup = harness('startup', { periodSeconds: 2, failureThreshold: 30 }, [F, F, S]);
  const liveness = harness('liveness', { periodSeconds: 3 }, [S], () => started);
  startup.worker.start();
  liveness.worker.start();
  assert.deepEqual(startup.results, [[0, 'Unknown']]);
  await startup.advance(10);
  await liveness.advance(4);
  assert.deepEqual(startup.runs, [0, 2, 4]);
  assert.deepEqual(startup.results, [[0, 'Unknown'], [4, 'Success']]);
  assert.deepEqual(liveness.runs, []);
  started = true;
  await liveness.advance(6);
  assert.deepEqual(liveness.runs, [6, 9]);
});

test('errored attempts are reported but do not change the result', async () => {
  const h = harness('readiness', { periodSeconds: 1, failureThreshold: 1 }, [{ result: 'Unknown', output: '', error: 'unable to find port "http"' }]);
  h.worker.start();
  await h.advance(3);
  assert.deepEqual(h.results, [[0, 'Failure']]);
  assert.equal(h.outcomes.length, 4);
  assert.equal(unhealthyMessage('readiness', h.outcomes[0]!), 'Readiness probe errored: unable to find port "http"');
});
