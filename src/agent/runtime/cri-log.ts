/**
 * Container logs in the CRI format kubelet reads (`<RFC3339Nano> <stream> <P|F> <content>`), so that
 * `kubectl logs --timestamps` shows what Kubernetes shows. Long lines are split into partial (P) records.
 */
import fs from 'node:fs';
import type { Readable } from 'node:stream';

export type LogStream = 'stdout' | 'stderr';

export interface CriLogRecord {
  time: string;
  stream: LogStream;
  partial: boolean;
  content: string;
}

/** The largest record content before a line is split, as containerd does (16 KiB). */
export const MAX_LOG_LINE = 16 * 1024;

/** RFC 3339 with nanoseconds; milliseconds are all a JS clock has, so the rest is zeros. */
export function criTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

export function parseCriLogLine(line: string): CriLogRecord | undefined {
  const m = /^(\S+) (stdout|stderr) (P|F) ?(.*)$/s.exec(line);
  if (!m) return undefined;
  return { time: m[1]!, stream: m[2] as LogStream, partial: m[3] === 'P', content: m[4]! };
}

/** Appends records to one file from several streams; each stream keeps its own partial-line buffer. */
export class CriLogWriter {
  private readonly fd: number;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly now: () => number,
  ) {
    this.fd = fs.openSync(path, 'a', 0o600); // pod logs are the owner's only
  }

  /** Pipes a stream into the log; resolves when it ends (after writing any unterminated last line). */
  attach(stream: LogStream, source: Readable): Promise<void> {
    let pending = '';
    return new Promise((resolve) => {
      source.setEncoding('utf8');
      source.on('data', (chunk: string) => {
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          let line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          for (; line.length > MAX_LOG_LINE; line = line.slice(MAX_LOG_LINE)) this.writeLine(stream, line.slice(0, MAX_LOG_LINE), true);
          this.writeLine(stream, line, false);
        }
        while (pending.length > MAX_LOG_LINE) {
          this.writeLine(stream, pending.slice(0, MAX_LOG_LINE), true);
          pending = pending.slice(MAX_LOG_LINE);
        }
      });
      const finish = (): void => {
        if (pending !== '') this.writeLine(stream, pending, false);
        pending = '';
        resolve();
      };
      source.once('end', finish);
      source.once('error', finish);
      source.once('close', finish);
    });
  }

  private writeLine(stream: LogStream, content: string, partial: boolean): void {
    if (this.closed) return;
    fs.writeSync(this.fd, `${criTimestamp(this.now())} ${stream} ${partial ? 'P' : 'F'} ${content}\n`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }
}
