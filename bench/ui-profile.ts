// The open page's share of the skiff server's CPU, from a V8 profile of the server (bench/profiled-skiff.mjs):
// samples inside the web view's code (dist/ui, the ws library) in the windows with a page open and without.
// Contention moves req/s by tens of percent on a shared machine; a share of the server's own samples does not.
import { readdirSync, readFileSync } from 'node:fs';

export const profiling = (process.env.SKIFF_BIN ?? '').endsWith('profiled-skiff.mjs');

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** CLOCK_MONOTONIC in µs, the clock V8's profiler stamps samples with. */
export const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

export interface TimedWindow {
  open: boolean;
  from: number;
  to: number;
  /** Client → endpoint bytes proxied in the window (requests: bytes / bytes per request). */
  bytes: number;
}

/** `[ui] profile: ...` lines: busy samples and the view's share, in windows with and without a page. */
export function viewShare(dir: string, windows: TimedWindow[], bytesPerRequest: number): string {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return `[ui] profile: none written to ${dir}`;
  const p = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const isView = (n: ProfileNode) => /\/dist\/ui\/|\/node_modules\/ws\//.test(n.callFrame.url);
  const inView = new Map<number, boolean>();
  const viewFrame = (id: number): boolean => {
    let v = inView.get(id);
    if (v === undefined) {
      const n = byId.get(id)!;
      const up = parent.get(id);
      inView.set(id, (v = isView(n) || (up !== undefined && viewFrame(up))));
    }
    return v;
  };
  const idle = new Set(['(idle)', '(program)']);
  const tally = { open: { busy: 0, view: 0 }, closed: { busy: 0, view: 0 } };
  let t = p.startTime;
  let w = 0;
  p.samples.forEach((id, i) => {
    t += p.timeDeltas[i]!;
    while (w < windows.length && windows[w]!.to < t) w++;
    const win = windows[w];
    if (!win || t < win.from || idle.has(byId.get(id)!.callFrame.functionName)) return;
    const k = win.open ? tally.open : tally.closed;
    k.busy++;
    if (viewFrame(id)) k.view++;
  });
  const pct = (k: { busy: number; view: number }) => `${((100 * k.view) / Math.max(1, k.busy)).toFixed(2)} % of ${k.busy} busy samples`;
  return `[ui] profile (V8 sampling, 250 µs): the view's code (dist/ui, ws) is ${pct(tally.open)} with a page open, ${pct(tally.closed)} without\n${owners(p, windows, bytesPerRequest, (id) => owner(id, byId, parent, viewFrame))}`;
}

/**
 * The package file (dist/…, node_modules/…) nearest the sampled frame: who the work was done for; marked
 * `view →` when the view's code (dist/ui, ws) is further up the stack (the view calling the proxy's stats).
 */
function owner(id: number, byId: Map<number, ProfileNode>, parent: Map<number, number>, inView: (id: number) => boolean): string {
  const leaf = byId.get(id)!;
  const mark = inView(id) ? 'view → ' : '';
  if (leaf.callFrame.functionName.startsWith('(')) return leaf.callFrame.functionName;
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const m = /\/(dist\/.*|node_modules\/(?:@[^/]+\/)?[^/]+)/.exec(byId.get(at)!.callFrame.url);
    if (m) return mark + m[1]!;
  }
  return mark + (leaf.callFrame.url || leaf.callFrame.functionName || '(anonymous)');
}

/** Sampled main-thread µs per request by owner, open vs closed: where the open page's extra CPU goes. */
function owners(p: Profile, windows: TimedWindow[], bytesPerRequest: number, ownerOf: (id: number) => string): string {
  const requests = { open: 0, closed: 0 };
  for (const w of windows) requests[w.open ? 'open' : 'closed'] += w.bytes / bytesPerRequest;
  const rows = new Map<string, { open: number; closed: number }>();
  let t = p.startTime;
  let w = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i]!;
    t += dt;
    while (w < windows.length && windows[w]!.to < t) w++;
    const win = windows[w];
    if (!win || t < win.from) return;
    const k = ownerOf(id);
    const r = rows.get(k) ?? { open: 0, closed: 0 };
    r[win.open ? 'open' : 'closed'] += dt; // a sample stands for the time since the previous one
    rows.set(k, r);
  });
  const all = [...rows].filter(([k]) => k !== '(idle)')
    .map(([k, r]) => ({ k, open: r.open / requests.open, closed: r.closed / requests.closed }));
  type Row = (typeof all)[number];
  const sum = (rs: Row[], f: (r: Row) => number) => rs.reduce((x, r) => x + f(r), 0);
  const view = all.filter((r) => r.k.startsWith('view → ') || /^(dist\/ui\/|node_modules\/ws$)/.test(r.k));
  const top = [...all].sort((a, b) => Math.abs(b.open - b.closed) - Math.abs(a.open - a.closed)).slice(0, 14);
  const n = (x: number) => x.toFixed(2).padStart(7);
  const busy = { open: sum(all, (r) => r.open), closed: sum(all, (r) => r.closed) };
  const mine = sum(view, (r) => r.open);
  const lines = top.map((r) => `[ui]   ${n(r.open)} ${n(r.closed)} ${n(r.open - r.closed)}  ${r.k}`);
  return `[ui] profile: main-thread µs per request, open / closed / difference (busy total ${n(busy.open)} / ${n(busy.closed)}), by the package file nearest the sample (largest differences):\n${lines.join('\n')}
[ui] profile: the view's own work (its code, ws, and the proxy code it calls) is ${mine.toFixed(2)} µs per request with a page open, ${((100 * mine) / busy.open).toFixed(2)} % of the main thread's busy time`;
}
