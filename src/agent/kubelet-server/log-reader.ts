/**
 * Reading CRI container logs as kubelet's ReadLogs does for `kubectl logs`: tailLines counts whole
 * lines, sinceSeconds/sinceTime filter by record time, timestamps prefixes each record with its time,
 * limitBytes caps the output, follow keeps reading while the container instance runs.
 */
import fs from 'node:fs';
import { parseCriLogLine, type CriLogRecord } from '../runtime/cri-log.js';

export interface LogOptions {
  follow: boolean;
  tailLines?: number;
  timestamps: boolean;
  /** Epoch ms: only records at or after it. */
  since?: number;
  limitBytes?: number;
}

export interface LogSink {
  write(chunk: string): boolean | void;
  /** True once the reader went away. */
  closed(): boolean;
}

function render(r: CriLogRecord, timestamps: boolean): string {
  return (timestamps ? `${r.time} ` : '') + r.content + (r.partial ? '' : '\n');
}

/** Records of complete lines in `text` and the unterminated remainder. */
export function parseRecords(text: string): { records: CriLogRecord[]; rest: string } {
  const lines = text.split('\n');
  const rest = lines.pop() ?? '';
  const records: CriLogRecord[] = [];
  for (const l of lines) {
    const r = parseCriLogLine(l);
    if (r) records.push(r);
  }
  return { records, rest };
}

/** Applies since/tail to the records already in the file. */
export function selectRecords(records: CriLogRecord[], o: Pick<LogOptions, 'since' | 'tailLines'>): CriLogRecord[] {
  let out = o.since !== undefined ? records.filter((r) => Date.parse(r.time) >= o.since!) : records;
  if (o.tailLines !== undefined) {
    // count whole lines: a line is its partial records plus the final one
    let lines = 0;
    let start = out.length;
    for (let i = out.length - 1; i >= 0; i--) {
      if (!out[i]!.partial) {
        if (lines === o.tailLines) break;
        lines++;
      }
      start = i;
    }
    if (o.tailLines === 0) start = out.length;
    out = out.slice(start);
  }
  return out;
}

export async function streamLog(o: { file: string; live: () => boolean; options: LogOptions; sink: LogSink; pollMs?: number }): Promise<void> {
  let budget = o.options.limitBytes ?? Infinity;
  const emit = (records: CriLogRecord[]): boolean => {
    for (const r of records) {
      let s = render(r, o.options.timestamps);
      if (Buffer.byteLength(s) > budget) s = Buffer.from(s).subarray(0, budget).toString('utf8');
      budget -= Buffer.byteLength(s);
      if (s) o.sink.write(s);
      if (budget <= 0) return false;
    }
    return true;
  };
  let offset = 0;
  let rest = '';
  const readMore = (): CriLogRecord[] => {
    let fd: number;
    try {
      fd = fs.openSync(o.file, 'r');
    } catch {
      return [];
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size <= offset) return [];
      const buf = Buffer.alloc(size - offset);
      fs.readSync(fd, buf, 0, buf.length, offset);
      offset = size;
      const parsed = parseRecords(rest + buf.toString('utf8'));
      rest = parsed.rest;
      return parsed.records;
    } finally {
      fs.closeSync(fd);
    }
  };
  if (!emit(selectRecords(readMore(), o.options))) return;
  if (!o.options.follow) return;
  const since = o.options.since;
  for (;;) {
    if (o.sink.closed()) return;
    const wasLive = o.live();
    const recs = readMore().filter((r) => since === undefined || Date.parse(r.time) >= since);
    if (!emit(recs)) return;
    if (!wasLive && recs.length === 0) return;
    await new Promise((r) => setTimeout(r, o.pollMs ?? 100));
  }
}

/** Live output of a container for attach, by tailing its log from the current end. */
export function tailOutput(o: { file: string; onData: (stream: 'stdout' | 'stderr', chunk: Buffer) => void; pollMs?: number }): () => void {
  let offset = 0;
  try {
    offset = fs.statSync(o.file).size;
  } catch {
    // not written yet
  }
  let rest = '';
  const timer = setInterval(() => {
    try {
      const size = fs.statSync(o.file).size;
      if (size <= offset) return;
      const fd = fs.openSync(o.file, 'r');
      const buf = Buffer.alloc(size - offset);
      fs.readSync(fd, buf, 0, buf.length, offset);
      fs.closeSync(fd);
      offset = size;
      const parsed = parseRecords(rest + buf.toString('utf8'));
      rest = parsed.rest;
      for (const r of parsed.records) o.onData(r.stream, Buffer.from(r.content + (r.partial ? '' : '\n')));
    } catch {
      // file gone: the container is being removed
    }
  }, o.pollMs ?? 50);
  return () => clearInterval(timer);
}
