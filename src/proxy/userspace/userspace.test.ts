import { runDatapathConformance } from '../conformance.js';
import { schedulerNames } from '../schedulers/index.js';
import { UserspaceDatapath } from './datapath.js';

runDatapathConformance('userspace', ({ scheduler, clock }) => new UserspaceDatapath({ scheduler, clock }), {
  schedulers: [...schedulerNames],
  usesInjectedClock: true,
});
