/**
 * Registry credentials from imagePullSecrets, as kubelet's credentialprovider keyring reads them:
 * `kubernetes.io/dockerconfigjson` (`{"auths": {…}}`) and `kubernetes.io/dockercfg` (the map itself).
 * A key matches an image's registry by host[:port] (scheme and path ignored, `*.` globs one label);
 * every match is tried in order, the most specific first.
 */
import type { Secret } from 'kubernetes-types/core/v1.js';
import type { RegistryAuth } from '../../runtime/cri.js';

interface DockerConfigEntry {
  auth?: string;
  username?: string;
  password?: string;
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

export function registryCredentials(secrets: Secret[], registry: string): RegistryAuth[] {
  const found: Array<{ score: number; auth: RegistryAuth }> = [];
  for (const s of secrets) {
    for (const [key, entry] of Object.entries(dockerConfig(s))) {
      const score = matchScore(key, registry);
      if (score < 0 || !entry || typeof entry !== 'object') continue;
      const auth: RegistryAuth = {};
      if (typeof entry.auth === 'string' && entry.auth) auth.auth = entry.auth;
      if (typeof entry.username === 'string') auth.username = entry.username;
      if (typeof entry.password === 'string') auth.password = entry.password;
      if (auth.auth || auth.username !== undefined) found.push({ score, auth });
    }
  }
  return found.sort((a, b) => b.score - a.score).map((f) => f.auth);
}

function dockerConfig(s: Secret): Record<string, DockerConfigEntry> {
  const decode = (k: string) => (s.data?.[k] ? Buffer.from(s.data[k], 'base64').toString('utf8') : s.stringData?.[k]);
  try {
    if (s.type === 'kubernetes.io/dockerconfigjson') {
      const raw = decode('.dockerconfigjson');
      return raw ? ((JSON.parse(raw) as { auths?: Record<string, DockerConfigEntry> }).auths ?? {}) : {};
    }
    if (s.type === 'kubernetes.io/dockercfg') {
      const raw = decode('.dockercfg');
      return raw ? (JSON.parse(raw) as Record<string, DockerConfigEntry>) : {};
    }
  } catch {
    /* a malformed secret gives no credentials, as kubelet skips it */
  }
  return {};
}

/** -1: no match; else higher for a more specific key (exact host over glob). */
function matchScore(key: string, registry: string): number {
  const host = normalizeHost(key);
  const want = normalizeHost(registry);
  if (host === want) return 2;
  if (host.startsWith('*.')) {
    const [h, port] = host.slice(2).split(':');
    const [w, wport] = want.split(':');
    if (port === wport && w!.endsWith(`.${h}`) && !w!.slice(0, -h!.length - 1).includes('.')) return 1;
  }
  return -1;
}

function normalizeHost(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').split('/')[0]!.toLowerCase();
  return DOCKER_HUB.has(host) ? 'docker.io' : host;
}

/** Registries reached without TLS: loopback ones, as containerd and docker treat localhost. */
export function insecureRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '');
  return host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '[::1]';
}
