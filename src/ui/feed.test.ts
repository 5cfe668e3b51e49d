// The push feed of open pages: deltas only, at most one push a second, the first change after quiet soon.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EndpointStats } from '../proxy/types.js';
import { FakeClock } from '../util/clock.js';
import { TrafficFeed, type FeedFrame } from './feed.js';
import { TrafficRecorder } from './traffic.js';

const ep = (ip: string, total: number, bytesIn = total * 100): EndpointStats => ({
  servicePortName: 'default/web:http', protocol: 'TCP', ip, port: 8080, activeConnections: 0, totalConnections: total, bytesIn, bytesOut: bytesIn,
});

function setup() {
  const clock = new FakeClock();
  const stats = new Map<string, EndpointStats>([['a', ep('127.42.0.2', 0)], ['b', ep('127.42.0.3', 0)]]);
  let rules = { mode: 'userspace', scheduler: 'random', listeners: [] as Array<{ servicePortName: string; role: 'ClusterIP'; protocol: 'TCP'; address: string; port: number }> };
  const dns: string[] = [];
  const frames: Array<{ at: number; frame: FeedFrame<string, never> }> = [];
  let sampled = 0;
  const feed = new TrafficFeed<string, never>({
    recorder: new TrafficRecorder(), clock,
    stats: () => (sampled++, [...stats.values()]), rules: () => rules,
    drainDns: () => dns.splice(0), drainIngress: () => [],
    send: (frame) => frames.push({ at: clock.now(), frame }),
  });
  return { clock, stats, dns, frames, feed, setRules: (r: typeof rules) => (rules = r), sampled: () => sampled };
}

test('feed: a page starts from the baseline, then gets only the endpoints that changed, and the removed keys', () => {
  const { clock, stats, frames, feed } = setup();
  feed.start();
  const base = feed.baseline();
  assert.deepEqual(base.traffic.map((t) => t.total), [0, 0]);
  assert.equal(base.rules.mode, 'userspace');
  clock.step(2000);
  assert.equal(frames.length, 0, 'nothing changed, nothing is sent');
  stats.set('a', ep('127.42.0.2', 5));
  clock.step(500);
  assert.equal(frames.length, 1, 'the first change after a quiet spell goes at the next check');
  assert.deepEqual(frames[0]!.frame.traffic?.changed.map((t) => [t.endpoint, t.total]), [['127.42.0.2:8080', 5]]);
  assert.deepEqual(frames[0]!.frame.traffic?.removed, []);
  stats.delete('b');
  clock.step(1000);
  const last = frames.at(-1)!.frame.traffic!;
  assert.deepEqual(last.removed, ['default/web:http|127.42.0.3:8080']);
  assert.ok(!last.changed.some((t) => t.endpoint === '127.42.0.3:8080'));
  feed.stop();
});

test('feed: counters moving all the time are pushed once a second, and not sampled in between', () => {
  const { clock, stats, frames, feed, sampled } = setup();
  feed.start();
  feed.baseline();
  let total = 0;
  const startSamples = sampled();
  for (let i = 0; i < 40; i++) {
    stats.set('a', ep('127.42.0.2', (total += 10)));
    clock.step(250);
  }
  const at = frames.map((f) => f.at);
  assert.ok(frames.length >= 9 && frames.length <= 10, `${frames.length} pushes in 10 s`);
  for (let i = 1; i < at.length; i++) assert.ok(at[i]! - at[i - 1]! >= 1000, `pushes ${at[i - 1]} and ${at[i]} less than a second apart`);
  assert.ok(sampled() - startSamples <= 11, `${sampled() - startSamples} samples for ~10 pushes`);
  clock.step(3000); // quiet: the last counts, then the rates falling to 0, and nothing more
  const a = frames.flatMap((f) => f.frame.traffic?.changed ?? []).filter((t) => t.endpoint === '127.42.0.2:8080');
  assert.equal(a.at(-1)!.total, total);
  assert.equal(a.at(-1)!.connRate, 0);
  const n = frames.length;
  clock.step(3000);
  assert.equal(frames.length, n);
  feed.stop();
});

test('feed: DNS queries and rules travel in the same frame as the counters; unchanged rules are not resent', () => {
  const { clock, stats, dns, frames, feed, setRules } = setup();
  feed.start();
  feed.baseline();
  dns.push('q1');
  stats.set('a', ep('127.42.0.2', 1));
  clock.step(500);
  assert.equal(frames.length, 1);
  assert.deepEqual(frames[0]!.frame.dns, ['q1']);
  assert.ok(frames[0]!.frame.traffic);
  assert.equal(frames[0]!.frame.rules, undefined, 'the rules are the baseline\'s');
  setRules({ mode: 'userspace', scheduler: 'rr', listeners: [{ servicePortName: 'default/web:http', role: 'ClusterIP', protocol: 'TCP', address: '127.43.0.9', port: 80 }] });
  clock.step(1000);
  assert.equal(frames.at(-1)!.frame.rules?.scheduler, 'rr');
  const n = frames.length;
  clock.step(3000);
  assert.ok(frames.slice(n).every((f) => f.frame.rules === undefined));
  feed.stop();
  clock.step(3000);
  assert.ok(frames.slice(n).every((f) => f.at <= clock.now() - 3000), 'nothing after stop');
});
