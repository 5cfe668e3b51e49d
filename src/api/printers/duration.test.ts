import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, parseTime, shortHumanDuration, translateTimestampSince } from './duration.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

test('humanDuration matches k8s.io/apimachinery duration.HumanDuration', () => {
  const cases: Array<[number, string]> = [
    [-2 * s, '<invalid>'],
    [-1500, '0s'],
    [-1 * s, '0s'],
    [0, '0s'],
    [999, '0s'],
    [1 * s, '1s'],
    [70 * s, '70s'],
    [119 * s, '119s'],
    [120 * s, '2m'],
    [190 * s, '3m10s'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m + 30 * s, '10m'],
    [70 * m, '70m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [3 * h + 5 * m + 20 * s, '3h5m'],
    [7 * h + 59 * m, '7h59m'],
    [8 * h + 30 * m, '8h'],
    [47 * h, '47h'],
    [48 * h, '2d'],
    [49 * h, '2d1h'],
    [7 * d + 23 * h, '7d23h'],
    [8 * d + 2 * h, '8d'],
    [367 * d, '367d'],
    [365 * 2 * d + 25 * h, '2y1d'],
    [365 * 3 * d, '3y'],
    [365 * 8 * d + 2 * h, '8y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `humanDuration(${ms})`);
});

test('shortHumanDuration matches duration.ShortHumanDuration', () => {
  const cases: Array<[number, string]> = [
    [-2 * s, '<invalid>'],
    [-1 * s, '0s'],
    [59 * s, '59s'],
    [90 * s, '1m'],
    [59 * m, '59m'],
    [90 * m, '1h'],
    [25 * h, '1d'],
    [400 * d, '1y'],
  ];
  for (const [ms, want] of cases) assert.equal(shortHumanDuration(ms), want, `shortHumanDuration(${ms})`);
});

test('translateTimestampSince: <unknown> for the zero time, ages otherwise (MicroTime too)', () => {
  const now = Date.parse('2025-01-01T00:10:00Z');
  assert.equal(translateTimestampSince(undefined, now), '<unknown>');
  assert.equal(translateTimestampSince(null, now), '<unknown>');
  assert.equal(translateTimestampSince('', now), '<unknown>');
  assert.equal(translateTimestampSince('0001-01-01T00:00:00Z', now), '<unknown>');
  assert.equal(translateTimestampSince('2025-01-01T00:09:56Z', now), '4s');
  assert.equal(translateTimestampSince('2025-01-01T00:05:00.123456Z', now), '4m59s');
  assert.equal(translateTimestampSince('2025-01-01T00:10:05Z', now), '<invalid>');
  assert.equal(parseTime('2025-01-01T00:00:00.500000Z'), Date.parse('2025-01-01T00:00:00.500Z'));
});
