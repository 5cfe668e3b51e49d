/**
 * The web view's token: random, kept in the data dir (0600), handed to the browser in the login URL's
 * fragment (never sent in a request line, so never in a log). The login page trades it for an HttpOnly
 * SameSite=Strict cookie; every HTTP and WebSocket request is checked for the cookie or a Bearer header,
 * and for a Host and Origin of this loopback listener (no DNS rebinding, no cross-site requests).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { dirname, join } from 'node:path';

export const cookieName = 'skiff-ui';

export function uiTokenPath(dataDir: string): string {
  return join(dataDir, 'server', 'ui-token');
}

/** Reads the token, creating it on first use. */
export async function loadOrCreateUIToken(dataDir: string): Promise<string> {
  const path = uiTokenPath(dataDir);
  try {
    const t = (await readFile(path, 'utf8')).trim();
    if (/^[0-9a-f]{32,}$/.test(t)) return t;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(24).toString('hex');
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, token + '\n', { mode: 0o600 });
  return token;
}

/** The URL `skiff server` and `skiff ui` print. */
export function loginURL(host: string, port: number, token: string): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}/login#token=${token}`;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === cookieName) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

export type Verdict = { ok: true } | { ok: false; status: 401 | 403; message: string };

/** Host must name this listener (loopback); Origin, when sent, must be this origin. */
export function checkOrigin(req: IncomingMessage, port: number): Verdict {
  const allowed = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  const host = req.headers.host ?? '';
  if (!allowed.has(host)) return { ok: false, status: 403, message: `host "${host}" is not this loopback listener` };
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) return { ok: false, status: 403, message: `origin "${origin}" is not allowed` };
  return { ok: true };
}

export function checkToken(req: IncomingMessage, token: string): Verdict {
  const given = bearerToken(req) ?? cookieToken(req);
  if (given === undefined) return { ok: false, status: 401, message: 'Unauthorized: open the login URL that `skiff ui` prints' };
  if (!same(given, token)) return { ok: false, status: 401, message: 'Unauthorized: the token is not this server\'s (see `skiff ui`)' };
  return { ok: true };
}

export function loginCookie(token: string): string {
  return `${cookieName}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`;
}
