/**
 * What open pages are pushed besides object changes: one frame per push holding only what changed since
 * the last one — the endpoint counters that moved (and the keys of those gone), new or closed connection
 * rows, DNS queries, ingress requests, the proxy's rules when they differ. Checked every 500 ms, pushed
 * at most once a second: the first change after a quiet spell is on the page within half a second, and
 * while traffic keeps flowing every counter is at most a second old. Between pushes nothing is sampled.
 */
import type { DatapathRules } from '../proxy/observe.js';
import type { EndpointStats } from '../proxy/types.js';
import { realClock, type Clock, type TimerHandle } from '../util/clock.js';
import type { ConnectionRow, EndpointTraffic, TrafficRecorder } from './traffic.js';

/** The page's key of an endpoint's counters (a Service port name implies its protocol). */
export const trafficKey = (t: Pick<EndpointTraffic, 'servicePortName' | 'endpoint'>): string => `${t.servicePortName}|${t.endpoint}`;

export interface TrafficDelta {
  /** Endpoints whose counters or rates differ from the last push (whole entries). */
  changed: EndpointTraffic[];
  /** Keys (trafficKey) of endpoints the datapath no longer reports. */
  removed: string[];
}

export interface FeedFrame<D, I> {
  type: 'tick';
  traffic?: TrafficDelta;
  connections?: ConnectionRow[];
  dns?: D[];
  ingress?: I[];
  rules?: DatapathRules;
}

export interface TrafficFeedOptions<D, I> {
  recorder: TrafficRecorder;
  stats: () => EndpointStats[];
  rules: () => DatapathRules;
  /** The DNS queries and ingress requests collected since the last call. */
  drainDns: () => D[];
  drainIngress: () => I[];
  /** Called with each frame that carries something. */
  send: (frame: FeedFrame<D, I>) => void;
  clock?: Clock;
  checkMs?: number;
  minIntervalMs?: number;
}

const same = (a: EndpointTraffic, b: EndpointTraffic) =>
  a.total === b.total && a.active === b.active && a.bytesIn === b.bytesIn && a.bytesOut === b.bytesOut && a.connRate === b.connRate && a.byteRate === b.byteRate;

export class TrafficFeed<D, I> {
  private readonly clock: Clock;
  private readonly checkMs: number;
  private readonly minIntervalMs: number;
  /** The counters as last pushed (or as the first page's snapshot showed them): what deltas are against. */
  private shown?: Map<string, EndpointTraffic>;
  private shownRules = '';
  private lastPush = -Infinity;
  private timer?: TimerHandle;

  constructor(private readonly opts: TrafficFeedOptions<D, I>) {
    this.clock = opts.clock ?? realClock;
    this.checkMs = opts.checkMs ?? 500;
    this.minIntervalMs = opts.minIntervalMs ?? 1000;
  }

  start(): void {
    this.stop();
    const loop = () => {
      this.timer = this.clock.setTimeout(loop, this.checkMs);
      this.check();
    };
    this.timer = this.clock.setTimeout(loop, this.checkMs);
  }

  stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.shown = undefined;
    this.shownRules = '';
    this.lastPush = -Infinity;
  }

  /** The counters and rules a new page starts from: those the open pages have (so the next frame fits every page). */
  baseline(): { traffic: EndpointTraffic[]; rules: DatapathRules } {
    this.shown ??= new Map(this.sample().map((t) => [trafficKey(t), t]));
    if (this.shownRules === '') this.shownRules = JSON.stringify(this.opts.rules());
    return { traffic: [...this.shown.values()], rules: JSON.parse(this.shownRules) as DatapathRules };
  }

  private sample(): EndpointTraffic[] {
    return this.opts.recorder.sample(this.opts.stats(), this.clock.now());
  }

  /** One check: nothing at all until a second has passed since the last push; then what changed, if anything. */
  check(): void {
    const now = this.clock.now();
    // half a check of slack: timers fire late, and a push every other check is the point
    if (now - this.lastPush < this.minIntervalMs - this.checkMs / 2) return;
    const frame: FeedFrame<D, I> = { type: 'tick' };
    const traffic = this.delta(this.sample());
    if (traffic) frame.traffic = traffic;
    const rows = this.opts.recorder.drainConnections();
    if (rows.length) frame.connections = rows;
    const dns = this.opts.drainDns();
    if (dns.length) frame.dns = dns;
    const ingress = this.opts.drainIngress();
    if (ingress.length) frame.ingress = ingress;
    const rules = this.opts.rules();
    const text = JSON.stringify(rules);
    if (text !== this.shownRules) {
      frame.rules = rules;
      this.shownRules = text;
    }
    if (Object.keys(frame).length === 1) return;
    this.lastPush = now;
    this.opts.send(frame);
  }

  private delta(now: EndpointTraffic[]): TrafficDelta | undefined {
    const before = this.shown ?? new Map<string, EndpointTraffic>();
    const next = new Map<string, EndpointTraffic>();
    const changed: EndpointTraffic[] = [];
    for (const t of now) {
      const key = trafficKey(t);
      next.set(key, t);
      const old = before.get(key);
      if (!old || !same(old, t)) changed.push(t);
    }
    const removed = [...before.keys()].filter((k) => !next.has(k));
    this.shown = next;
    return changed.length || removed.length ? { changed, removed } : undefined;
  }
}
