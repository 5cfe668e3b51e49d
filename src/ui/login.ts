// The page a request without the token gets (status 401): no cluster data, only the few lines that trade
// the login URL's #token=... for the session cookie and reload without the fragment.
import { createHash } from 'node:crypto';

const script = `(async () => {
  const m = /[#&]token=([0-9a-f]+)/.exec(location.hash);
  const msg = document.getElementById('msg');
  if (!m) { msg.textContent = 'Unauthorized: open the login URL that skiff server printed, or run skiff ui to print it again.'; return; }
  msg.textContent = 'Signing in...';
  const r = await fetch('/api/login', { method: 'POST', headers: { authorization: 'Bearer ' + m[1] } });
  if (r.status === 204) { history.replaceState(null, '', '/'); location.reload(); }
  else msg.textContent = 'This token is not the server\\'s. Run skiff ui for the current login URL.';
})();`;

export function loginPage(): { body: string; csp: string } {
  const hash = createHash('sha256').update(script).digest('base64');
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>skiff — sign in</title></head>
<body style="font:15px system-ui,sans-serif;margin:4em;color:#222"><h1 style="font-size:20px">skiff web view</h1>
<p id="msg">Open the login URL that <code>skiff server</code> printed, or run <code>skiff ui</code> to print it again.</p>
<script>${script}</script></body></html>`;
  return { body, csp: `default-src 'none'; script-src 'sha256-${hash}'; connect-src 'self'; style-src 'unsafe-inline'` };
}
