// The "scaling 3 → 5 from the page shows 5 endpoints within 2 s" as a figure: headless chromium
// opens the view, clicks the Service, sets 5 and clicks Scale; the time runs from the click to the page
// drawing the 5th endpoint row (and to 5 ready), over several rounds (scaled back to 3 between them).
import { rmSync } from 'node:fs';
import { chromiumSkip, launchChromium, type Page } from '../test/support/ui-page.js';
import { percentile } from './stats.js';

export interface UIScaleOptions {
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
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${opts.uiPort}/login#token=${opts.token}`);
    await page.waitForSelector('[data-testid=status]:has-text("live")');
    await page.click(`[data-testid=svc-node][data-name="${opts.service}"]`);
    await rowsShown(page, 3, true);
    const shown: number[] = [];
    const ready: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const t0 = await scaleTo(page, 5);
      await rowsShown(page, 5, false);
      shown.push(performance.now() - t0);
      await rowsShown(page, 5, true);
      ready.push(performance.now() - t0);
      await scaleTo(page, 3);
      await rowsShown(page, 3, true);
    }
    const fig = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;
    console.log(`\n[ui] scaling 3 → 5 from the page (click → the page draws the endpoints), ${rounds} rounds: 5th endpoint shown ${fig(shown)}; 5 ready ${fig(ready)} (target: shown within 2 s)`);
    console.log(`[ui] rounds (shown ms): ${shown.map((x) => x.toFixed(0)).join(' ')}`);
  } finally {
    await browser.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}
