/** Host and path matching as Kubernetes specifies it for networking.k8s.io/v1 Ingress. */

export type PathType = 'Exact' | 'Prefix';

/** The host part of a Host header or SNI name: lower-cased, port and trailing dot removed. */
export function normalizeHost(host: string | undefined): string {
  if (!host) return '';
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(':');
  if (colon >= 0) h = h.slice(0, colon);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/** `*.foo.com` matches exactly one extra label: `bar.foo.com`, not `foo.com` or `a.bar.foo.com`. */
export function wildcardMatches(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return false;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot + 1) === pattern.slice(2);
}

/** The one-label wildcard that would cover `host` (`a.foo.com` → `*.foo.com`), if any. */
export function wildcardOf(host: string): string | undefined {
  const dot = host.indexOf('.');
  return dot > 0 ? `*${host.slice(dot)}` : undefined;
}

/** The request path without query string or fragment. */
export function requestPath(url: string | undefined): string {
  if (!url) return '/';
  let end = url.length;
  for (const c of ['?', '#']) {
    const i = url.indexOf(c);
    if (i >= 0 && i < end) end = i;
  }
  const p = url.slice(0, end);
  return p.startsWith('/') ? p : '/' + p;
}

/** A Prefix path compared element-wise: `/foo/` and `/foo` are the same prefix. */
export function normalizePrefix(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

/**
 * Prefix matching by path element: `/foo` matches `/foo`, `/foo/` and `/foo/bar` but not
 * `/foobar`; `/` matches everything. `prefix` must be normalized (normalizePrefix).
 */
export function prefixMatches(prefix: string, path: string): boolean {
  if (prefix === '/') return true;
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || path[prefix.length] === '/';
}

export function pathMatches(type: PathType, rulePath: string, path: string): boolean {
  return type === 'Exact' ? rulePath === path : prefixMatches(rulePath, path);
}
