/**
 * Loaded into a bench's `skiff server` with `--import` (bench/scale-server.ts): counts the watch requests
 * the API server is serving (open HTTPS requests with watch=true/1) and writes the count, with the
 * highest seen, to SKIFF_BENCH_PROBE_FILE twice a second. Lives in bench/ so that any tree, the baseline
 * included, is measured the same way. Plain JavaScript: a TypeScript loader in the server process would
 * transform (and slow) the built server it measures.
 */
import { renameSync, writeFileSync } from 'node:fs';
import https from 'node:https';

const file = process.env.SKIFF_BENCH_PROBE_FILE;
if (file) {
  let open = 0;
  let peak = 0;
  const emit = https.Server.prototype.emit;
  https.Server.prototype.emit = function (event, ...args) {
    if (event === 'request') {
      const [req, res] = args;
      if (/[?&]watch=(true|1)(&|$)/.test(req.url ?? '')) {
        open++;
        peak = Math.max(peak, open);
        res.once('close', () => open--);
      }
    }
    return emit.call(this, event, ...args);
  };
  // written aside and renamed, so a reader never sees a half-written file
  setInterval(() => {
    writeFileSync(`${file}.tmp`, JSON.stringify({ watches: open, peak }));
    renameSync(`${file}.tmp`, file);
  }, 500).unref();
}
