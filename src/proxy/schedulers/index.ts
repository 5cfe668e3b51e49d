import { dhScheduler, shScheduler } from './hash.js';
import { lblcScheduler } from './lblc.js';
import { lcScheduler, nqScheduler, sedScheduler, wlcScheduler } from './leastconn.js';
import { randomScheduler } from './random.js';
import { rrScheduler } from './rr.js';
import type { Scheduler, SchedulerName } from './types.js';
import { wrrScheduler } from './wrr.js';

export * from './types.js';

export interface SchedulerOptions {
  /** Random source for `random` (tests inject a seeded one). */
  rand?: () => number;
}

/** A fresh scheduler instance (one per virtual service: rr/wrr/sh/lblc keep state). */
export function newScheduler(name: SchedulerName, opts: SchedulerOptions = {}): Scheduler {
  switch (name) {
    case 'random': return randomScheduler(opts.rand);
    case 'rr': return rrScheduler();
    case 'wrr': return wrrScheduler();
    case 'lc': return lcScheduler();
    case 'wlc': return wlcScheduler();
    case 'sed': return sedScheduler();
    case 'nq': return nqScheduler();
    case 'dh': return dhScheduler();
    case 'sh': return shScheduler();
    case 'lblc': return lblcScheduler();
  }
}
