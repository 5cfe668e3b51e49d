// The interleaved windows of bench/ui.ts: a page (its WebSocket) opened and closed in blocks of four
// windows, A B B A then B A A B, ..., B being a page open except in placebo blocks, which toggle nothing and
// are shuffled in among the real ones (the same estimator on them is the noise floor).
import { readdirSync, readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { waitFor } from '../test/support/ports.js';
import { monotonicMicros, type TimedWindow } from './ui-profile.js';

/**
 * CPU seconds the process's threads have run so far (the scheduler's ns, /proc/PID/task/T/schedstat; the
 * 10 ms ticks of /proc/PID/stat are too coarse for 2 s rounds): the skiff server carries the datapath.
 */
export function cpuSeconds(pid: number): number {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return ns / 1e9;
}

/** The page's side: a WebSocket with the token, counting what the server pushes. */
export class View {
  pushes = 0;
  private ws?: WebSocket;
  constructor(private readonly port: number, private readonly token: string) {}

  async open(): Promise<void> {
    const ws = (this.ws = new WebSocket(`ws://127.0.0.1:${this.port}/api/ws`, { headers: { authorization: `Bearer ${this.token}` } }));
    const seen = this.pushes;
    ws.on('message', () => this.pushes++);
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
    await waitFor('the snapshot', () => this.pushes > seen || undefined);
  }

  get isOpen(): boolean {
    return this.ws !== undefined;
  }

  async close(): Promise<void> {
    const ws = this.ws!;
    this.ws = undefined;
    ws.close();
    await new Promise((r) => ws.once('close', r));
  }
}

export interface Window {
  /** Bytes clients sent to the Service's endpoints in the window. */
  bytes: number;
  /** skiff server CPU seconds in the window. */
  cpu: number;
  ms: number;
}

/** Four windows: A B B A, or B A A B; B is a page open, except in a placebo block. */
export interface Block {
  placebo: boolean;
  a: Window[];
  b: Window[];
}

/** Client → endpoint bytes of one Service, summed over its endpoints, from the proxy's Prometheus counters. */
export async function requestBytes(url: string, service: string): Promise<number> {
  const text = await (await fetch(url)).text();
  let sum = 0;
  for (const m of text.matchAll(/^skiff_proxy_endpoint_in_bytes_total\{service_port_name="([^"]*)"[^}]*\} (\d+)$/gm)) {
    if (m[1]!.split(':')[0] === service) sum += Number(m[2]);
  }
  return sum;
}

/** Real and placebo blocks in a shuffled order (seeded, so runs are alike). */
function blockOrder(real: number, placebo: number): boolean[] {
  const order = [...Array<boolean>(real).fill(false), ...Array<boolean>(placebo).fill(true)];
  let seed = 7;
  for (let i = order.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}


export interface BlockRun {
  real: number;
  placebos: number;
  windowMs: number;
  settleMs: number;
  view: View;
  sample: () => Promise<{ bytes: number; cpu: number; at: number }>;
  /** Each window's span, for the profile (bench/ui-profile.ts). */
  windows?: TimedWindow[];
  /** False once the load ended: no more blocks. */
  going: () => boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the blocks; a settle after each toggle keeps the one-off handshake and snapshot out of the windows. */
export async function runBlocks(o: BlockRun): Promise<Block[]> {
  const blocks: Block[] = [];
  const window = async (open: boolean): Promise<Window> => {
    const a = await o.sample();
    const from = monotonicMicros();
    await sleep(o.windowMs);
    const to = monotonicMicros();
    const b = await o.sample();
    o.windows?.push({ open, from, to, bytes: b.bytes - a.bytes });
    return { bytes: b.bytes - a.bytes, cpu: b.cpu - a.cpu, ms: b.at - a.at };
  };
  const seen = { real: 0, placebo: 0 };
  for (const placebo of blockOrder(o.real, o.placebos)) {
    if (!o.going()) break;
    const block: Block = { placebo, a: [], b: [] };
    // A B B A and B A A B alternate within each kind, so neither kind has its B windows more often at the edges
    const nth = seen[placebo ? 'placebo' : 'real']++;
    for (const isB of nth % 2 === 0 ? [false, true, true, false] : [true, false, false, true]) {
      const open = isB && !placebo;
      if (open && !o.view.isOpen) await o.view.open();
      if (!open && o.view.isOpen) await o.view.close();
      await sleep(o.settleMs);
      (isB ? block.b : block.a).push(await window(open));
    }
    if (o.view.isOpen) await o.view.close();
    if (o.going()) blocks.push(block);
  }
  return blocks;
}
