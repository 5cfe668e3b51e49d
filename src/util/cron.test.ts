import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CronParseError, parseCronSchedule } from './cron.js';

const at = (s: string) => Date.parse(s);
const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());

test('*/1 and */5: the next whole matching minute, strictly after', () => {
  const every = parseCronSchedule('*/1 * * * *');
  assert.equal(iso(every.next(at('2026-01-01T10:00:00Z'))), '2026-01-01T10:01:00.000Z');
  assert.equal(iso(every.next(at('2026-01-01T10:00:59.999Z'))), '2026-01-01T10:01:00.000Z');
  const five = parseCronSchedule('*/5 * * * *');
  assert.equal(iso(five.next(at('2026-01-01T10:03:00Z'))), '2026-01-01T10:05:00.000Z');
  assert.equal(iso(five.next(at('2026-01-01T23:58:00Z'))), '2026-01-02T00:00:00.000Z');
});

test('descriptors, names, ranges and lists', () => {
  assert.equal(iso(parseCronSchedule('@hourly').next(at('2026-01-01T10:30:00Z'))), '2026-01-01T11:00:00.000Z');
  assert.equal(iso(parseCronSchedule('@daily').next(at('2026-01-01T10:30:00Z'))), '2026-01-02T00:00:00.000Z');
  assert.equal(iso(parseCronSchedule('@yearly').next(at('2026-03-01T00:00:00Z'))), '2027-01-01T00:00:00.000Z');
  // 2026-01-01 is a Thursday; @weekly is Sunday midnight
  assert.equal(iso(parseCronSchedule('@weekly').next(at('2026-01-01T00:00:00Z'))), '2026-01-04T00:00:00.000Z');
  assert.equal(iso(parseCronSchedule('0 9 * * mon-fri').next(at('2026-01-02T10:00:00Z'))), '2026-01-05T09:00:00.000Z');
  assert.equal(iso(parseCronSchedule('15,45 */6 * JAN *').next(at('2026-01-01T00:20:00Z'))), '2026-01-01T00:45:00.000Z');
  assert.equal(iso(parseCronSchedule('0 0 1 feb ?').next(at('2026-01-15T00:00:00Z'))), '2026-02-01T00:00:00.000Z');
});

test('day-of-month and day-of-week: either matches when both are restricted', () => {
  // the 13th, or any Friday: from Thu 2026-01-01 the first is Fri 2026-01-02
  assert.equal(iso(parseCronSchedule('0 0 13 * 5').next(at('2026-01-01T00:00:00Z'))), '2026-01-02T00:00:00.000Z');
  // with a star day-of-week only the 13th counts
  assert.equal(iso(parseCronSchedule('0 0 13 * *').next(at('2026-01-01T00:00:00Z'))), '2026-01-13T00:00:00.000Z');
});

test('a time zone moves the wall clock', () => {
  const s = parseCronSchedule('0 9 * * *');
  // 09:00 in Berlin (UTC+1 in winter) is 08:00Z
  assert.equal(iso(s.next(at('2026-01-01T00:00:00Z'), 'Europe/Berlin')), '2026-01-01T08:00:00.000Z');
  const tz = parseCronSchedule('CRON_TZ=America/New_York 0 9 * * *');
  assert.equal(tz.timeZone, 'America/New_York');
  assert.equal(iso(tz.next(at('2026-07-01T00:00:00Z'))), '2026-07-01T13:00:00.000Z');
});

test('@every is a constant delay', () => {
  assert.equal(iso(parseCronSchedule('@every 90s').next(at('2026-01-01T00:00:00.500Z'))), '2026-01-01T00:01:30.000Z');
});

test("robfig/cron's error messages", () => {
  const msg = (s: string) => {
    try {
      parseCronSchedule(s);
      return 'ok';
    } catch (err) {
      assert.ok(err instanceof CronParseError);
      return err.message;
    }
  };
  assert.equal(msg(''), 'empty spec string');
  assert.equal(msg('* * *'), 'expected exactly 5 fields, found 3: [* * *]');
  assert.equal(msg('61 * * * *'), 'end of range (61) above maximum (59): 61');
  assert.equal(msg('* * 0 * *'), 'beginning of range (0) below minimum (1): 0');
  assert.equal(msg('5-1 * * * *'), 'beginning of range (5) beyond end of range (1): 5-1');
  assert.equal(msg('*/0 * * * *'), 'step of range should be a positive number: */0');
  assert.equal(msg('x * * * *'), 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
  assert.equal(msg('1-2-3 * * * *'), 'too many hyphens: 1-2-3');
  assert.equal(msg('@fortnightly'), 'unrecognized descriptor: @fortnightly');
  assert.equal(msg('TZ=Nowhere/City * * * * *'), 'provided bad location Nowhere/City: unknown time zone Nowhere/City');
  assert.equal(msg('0 0 * * 7'), 'end of range (7) above maximum (6): 7');
});

test('an impossible date never comes', () => {
  assert.equal(parseCronSchedule('0 0 30 2 *').next(at('2026-01-01T00:00:00Z')), undefined);
});
