// Benchmarks print figures measured side by side in one run; they are not tests.
// `npm run bench` runs every area; `node --import tsx bench/run.ts AREA` runs one.
import { benchApiServer } from './apiserver.js';
import { benchDatapath } from './datapath.js';
import { benchIngress } from './ingress.js';
import { benchKernelDatapath } from './kernel-datapath.js';
import { benchFleet } from './fleet.js';
import { benchPodReady } from './pod-ready.js';
import { benchScale } from './scale.js';
import { benchServices } from './services.js';
import { benchUI } from './ui.js';

const areas: Record<string, () => Promise<void>> = { apiserver: benchApiServer, services: benchServices, datapath: benchDatapath, ingress: benchIngress, 'kernel-datapath': benchKernelDatapath, 'pod-ready': benchPodReady, ui: benchUI, scale: benchScale, fleet: benchFleet };
const only = process.argv[2];
if (only && !areas[only]) {
  console.error(`unknown bench area ${only}; one of: ${Object.keys(areas).join(', ')}`);
  process.exit(2);
}
for (const [name, fn] of Object.entries(areas)) {
  if (only && only !== name) continue;
  console.log(`\n=== bench ${name} ===`);
  await fn();
}
