// `SKIFF_BIN=bench/profiled-skiff.mjs node --import tsx bench/run.ts ui`: the skiff server under V8's sampling
// profiler (the inspector's, since --cpu-prof is refused in NODE_OPTIONS); the profile is written to
// $SKIFF_PROFILE_DIR when the server exits, for bench/ui-profile.ts to split by time window.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const dir = process.env.SKIFF_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 250 });
  session.post('Profiler.start');
  const exit = process.exit.bind(process);
  process.exit = (code) => {
    session.post('Profiler.stop', (err, res) => {
      if (!err) {
        mkdirSync(dir, { recursive: true });
        writeFileSync(`${dir}/skiff-${process.pid}.cpuprofile`, JSON.stringify(res.profile));
      }
      exit(code);
    });
  };
}
await import('../bin/skiff.js');
