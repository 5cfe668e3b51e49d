// What the web view's browser tests share: Debian's chromium driven by playwright-core (no browser download),
// fresh-connection GETs, and the endpoint counters the page shows.
import { existsSync, mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type BrowserContext = import('playwright-core').BrowserContext;
export type Page = import('playwright-core').Page;

export const chromiumPath = ['/usr/bin/chromium', '/usr/lib/chromium/chromium'].find((p) => existsSync(p));
export const chromiumSkip = chromiumPath ? undefined : 'chromium is not installed (scripts/install-test-deps.sh installs it)';

/**
 * Headless chromium with a fresh --user-data-dir (playwright passes it itself for a persistent context) and
 * the background-networking features off, which this machine's closed network refuses. Returns the dir to remove.
 */
export async function launchChromium(prefix: string): Promise<{ browser: BrowserContext; userDataDir: string }> {
  const userDataDir = mkdtempSync(join(tmpdir(), prefix));
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1600, height: 1000 },
  });
  return { browser, userDataDir };
}

/** One GET on a new connection (so each one is scheduled or DNATed afresh); resolves with the status. */
export function get(ip: string, port: number): Promise<number> {
  return new Promise((res, rej) => {
    const req = request({ host: ip, port, path: '/', agent: false, timeout: 5000 }, (r) => {
      r.resume();
      r.on('end', () => res(r.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', rej);
    req.end();
  });
}

/** Each endpoint row's pod and its connection total, as the page shows them. */
export async function endpointTotals(page: Page): Promise<Map<string, number>> {
  const rows = await page.$$eval('[data-testid=endpoint-row]', (els) => els.map((e) => [e.getAttribute('data-pod') ?? '', Number(e.getAttribute('data-total'))] as const));
  return new Map(rows);
}
