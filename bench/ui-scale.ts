// The "scaling 3 → 5 from the page shows 5 endpoints within 2 s" as a figure: headless chromium
// opens the view, clicks the Service, sets 5 and clicks Scale; the time runs from the click to the page
// drawing the 5th endpoint row (and to 5 ready), over several rounds (scaled back to 3 between them), beside
// the time the API's EndpointSlices listed the 5th endpoint (a watch), which is what the cluster took.
import { rmSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { chromiumSkip, launchChromium, type Page } from '../test/support/ui-page.js';
import { percentile } from './stats.js';

export interface UIScaleOptions {
  kubeconfig: string;
  uiPort: number;
  token: string;
  /** A Service in `default` whose Deployment runs 3 replicas. */
  service: string;
}

const rowsShown = (page: Page, n: number, ready: boolean) =>
  page.waitForFunction(({ n, ready }) => document.querySelectorAll(`[data-testid=endpoint-row]${ready ? ':not(.dim)' : ''}`).length === n && (!ready || document.querySelectorAll('[data-testid=endpoint-row]').length === n), { n, ready }, { timeout: 60_000 });

async function scaleTo(page: Page, replicas: number): Promise<number> {
  await page.fill('[data-testid=scale-input]', String(replicas));
  const t0 = performance.now();
  await page.click('[data-testid=scale-button]');
  return t0;
}

export async function benchUIScale(opts: UIScaleOptions): Promise<void> {
  if (chromiumSkip) {
    console.log(`[ui] scale from the page: skipped: ${chromiumSkip}`);
    return;
  }
  const rounds = Number(process.env.SKIFF_BENCH_UI_SCALE_ROUNDS ?? 5);
  const { browser, userDataDir } = await launchChromium('skiff-bench-ui-');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(opts.kubeconfig);
  const sliceSizes = new Map<string, number>();
  let apiAt5: number | undefined;
  const watch = await new k8s.Watch(kc).watch(
    '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices',
    { labelSelector: `kubernetes.io/service-name=${opts.service}` },
    (phase, slice: k8s.V1EndpointSlice) => {
      sliceSizes.set(slice.metadata!.name!, phase === 'DELETED' ? 0 : (slice.endpoints ?? []).length);
      if ([...sliceSizes.values()].reduce((a, b) => a + b, 0) >= 5) apiAt5 ??= performance.now();
    },
    () => undefined,
  );
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${opts.uiPort}/login#token=${opts.token}`);
    await page.waitForSelector('[data-testid=status]:has-text("live")');
    await page.click(`[data-testid=svc-node][data-name="${opts.service}"]`);
    await rowsShown(page, 3, true);
    const shown: number[] = [];
    const ready: number[] = [];
    const api: number[] = [];
    for (let i = 0; i < rounds; i++) {
      apiAt5 = undefined;
      const t0 = await scaleTo(page, 5);
      await rowsShown(page, 5, false);
      shown.push(performance.now() - t0);
      api.push(apiAt5 === undefined ? NaN : apiAt5 - t0); // the watch may lag the page under load
      await rowsShown(page, 5, true);
      ready.push(performance.now() - t0);
      await scaleTo(page, 3);
      await rowsShown(page, 3, true);
    }
    const fig = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;
    console.log(`\n[ui] scaling 3 → 5 from the page (click → the page draws the endpoints), ${rounds} rounds: 5th endpoint shown ${fig(shown)}; 5 ready ${fig(ready)} (target: shown within 2 s)`);
    const seen = api.flatMap((a, i) => (Number.isNaN(a) ? [] : [[a, shown[i]! - a] as const]));
    if (seen.length) console.log(`[ui] of that, click → the API's EndpointSlices list the 5th endpoint (the controllers and kubelet): ${fig(seen.map(([a]) => a))}; API → page (the view) ${fig(seen.map(([, v]) => v))}`);
    console.log(`[ui] rounds (shown ms): ${shown.map((x) => x.toFixed(0)).join(' ')}`);
  } finally {
    watch.abort();
    await browser.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}
