import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from 'kubernetes-types/batch/v1.js';
import { jobFinishTime, ttlTimeLeft } from './controller.js';

const job = (ttl: number | undefined, conditions: Array<Record<string, string>>, extra: Record<string, unknown> = {}): Job =>
  ({ metadata: { name: 'j' }, spec: { template: {}, ttlSecondsAfterFinished: ttl }, status: { conditions, ...extra } }) as unknown as Job;

test('a finished Job expires ttlSecondsAfterFinished after it finished', () => {
  const done = Date.parse('2026-01-01T00:00:10Z');
  const complete = job(30, [{ type: 'Complete', status: 'True', lastTransitionTime: '2026-01-01T00:00:11Z' }], { completionTime: '2026-01-01T00:00:10Z' });
  assert.equal(jobFinishTime(complete), done, 'completionTime for a complete Job');
  assert.equal(ttlTimeLeft(complete, done + 5000), 25_000);
  assert.equal(ttlTimeLeft(complete, done + 31_000), -1000);
  const failed = job(0, [{ type: 'FailureTarget', status: 'True', lastTransitionTime: '2026-01-01T00:00:01Z' }, { type: 'Failed', status: 'True', lastTransitionTime: '2026-01-01T00:00:02Z' }]);
  assert.equal(ttlTimeLeft(failed, Date.parse('2026-01-01T00:00:02Z')), 0, 'ttl 0: at once');
  assert.equal(ttlTimeLeft(job(undefined, complete.status!.conditions as never), done), undefined, 'no ttl: kept');
  assert.equal(ttlTimeLeft(job(30, [{ type: 'SuccessCriteriaMet', status: 'True' }]), done), undefined, 'not finished yet');
});
