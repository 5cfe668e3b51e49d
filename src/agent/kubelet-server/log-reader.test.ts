import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir, waitFor } from '../../util/testing.js';
import { parseRecords, selectRecords, streamLog, type LogOptions } from './log-reader.js';

const dir = tempDir();
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const LOG = [
  '2026-01-01T00:00:01.000000000Z stdout F one',
  '2026-01-01T00:00:02.000000000Z stderr F two',
  '2026-01-01T00:00:03.000000000Z stdout P thr',
  '2026-01-01T00:00:03.000000000Z stdout F ee',
  '2026-01-01T00:00:04.000000000Z stdout F four',
  '',
].join('\n');

async function read(options: Partial<LogOptions>, live = () => false): Promise<string> {
  const file = path.join(dir, 'c.log');
  fs.writeFileSync(file, LOG);
  let out = '';
  await streamLog({ file, live, options: { follow: false, timestamps: false, ...options }, sink: { write: (s) => void (out += s), closed: () => false }, pollMs: 5 });
  return out;
}

describe('container log reading', () => {
  it('joins partial records into lines and keeps both streams', async () => {
    assert.equal(await read({}), 'one\ntwo\nthree\nfour\n');
  });

  it('tailLines counts whole lines (partials included)', async () => {
    assert.equal(await read({ tailLines: 2 }), 'three\nfour\n');
    assert.equal(await read({ tailLines: 0 }), '');
    assert.equal(await read({ tailLines: 10 }), 'one\ntwo\nthree\nfour\n');
  });

  it('timestamps, sinceTime and limitBytes', async () => {
    assert.equal(await read({ timestamps: true, tailLines: 1 }), '2026-01-01T00:00:04.000000000Z four\n');
    assert.equal(await read({ since: Date.parse('2026-01-01T00:00:03Z') }), 'three\nfour\n');
    assert.equal(await read({ limitBytes: 6 }), 'one\ntw');
  });

  it('follow reads what is appended while the container runs, then ends', async () => {
    const file = path.join(dir, 'f.log');
    fs.writeFileSync(file, '2026-01-01T00:00:01.000000000Z stdout F a\n');
    let running = true;
    let out = '';
    const done = streamLog({ file, live: () => running, options: { follow: true, timestamps: false }, sink: { write: (s) => void (out += s), closed: () => false }, pollMs: 5 });
    fs.appendFileSync(file, '2026-01-01T00:00:02.000000000Z stdout F b\n');
    await waitFor('the appended line', () => out.includes('b'));
    running = false;
    await done;
    assert.equal(out, 'a\nb\n');
  });

  it('parseRecords keeps an unterminated line for later', () => {
    const { records, rest } = parseRecords('2026-01-01T00:00:01.000000000Z stdout F a\n2026-01-01T00:00:0');
    assert.equal(records.length, 1);
    assert.equal(rest, '2026-01-01T00:00:0');
    assert.equal(selectRecords(records, { tailLines: 1 }).length, 1);
  });
});
