/**
 * k3s' private registry configuration (`--private-registry`, registries.yaml): `mirrors` (endpoints tried
 * in order, with `rewrite`s of the repository; `"*"` for every registry without an entry of its own) and
 * `configs` (auth and TLS per endpoint host). The default endpoint (the registry itself, never rewritten) is
 * tried last unless `--disable-default-registry-endpoint` is given and the registry has a mirror entry, as
 * k3s generates containerd's hosts.toml.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { RegistryAuth } from '../../runtime/cri.js';
import { insecureRegistry } from './pull-secrets.js';

export interface RegistryMirror {
  endpoint?: string[];
  rewrite?: Record<string, string>;
}

export interface RegistryConfig {
  auth?: { username?: string; password?: string; auth?: string; identitytoken?: string };
  tls?: { insecure_skip_verify?: boolean; ca_file?: string; cert_file?: string; key_file?: string };
}

export interface RegistriesConfig {
  mirrors?: Record<string, RegistryMirror>;
  configs?: Record<string, RegistryConfig>;
}

/** What the node's pulls use: the file's content and `--disable-default-registry-endpoint`. */
export interface RegistryHosts {
  config: RegistriesConfig;
  disableDefaultEndpoint?: boolean;
}

/** One place skopeo is sent to for an image. */
export interface PullEndpoint {
  /** host[:port] skopeo connects to. */
  host: string;
  /** The repository on that host (rewritten for a mirror). */
  repository: string;
  /** Plain HTTP or an unverified certificate (`--src-tls-verify=false`). */
  insecure: boolean;
  /** The registry itself (the pod's imagePullSecrets apply), not a mirror. */
  upstream: boolean;
  /** From `configs[host].auth`. */
  auth?: RegistryAuth & { identitytoken?: string };
  tls?: { ca_file?: string; cert_file?: string; key_file?: string };
}

/** Reads and checks registries.yaml; a missing or malformed file is an error naming it. */
export function loadRegistries(file: string): RegistriesConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`--private-registry: ${(err as Error).message}`);
  }
  try {
    return parseRegistries(text);
  } catch (err) {
    throw new Error(`--private-registry ${file}: ${(err as Error).message}`);
  }
}

export function parseRegistries(text: string): RegistriesConfig {
  const raw = (parse(text) ?? {}) as unknown;
  if (!isObject(raw)) throw new Error('expected a mapping with mirrors and configs');
  for (const k of Object.keys(raw)) if (k !== 'mirrors' && k !== 'configs') throw new Error(`unknown field "${k}" (mirrors, configs)`);
  const out: RegistriesConfig = {};
  if (raw.mirrors !== undefined) {
    if (!isObject(raw.mirrors)) throw new Error('mirrors: expected a mapping of registry names');
    out.mirrors = {};
    for (const [name, v] of Object.entries(raw.mirrors)) {
      const m = v ?? {};
      if (!isObject(m)) throw new Error(`mirrors.${name}: expected a mapping`);
      const endpoint = m.endpoint ?? [];
      if (!Array.isArray(endpoint) || endpoint.some((e) => typeof e !== 'string')) throw new Error(`mirrors.${name}.endpoint: expected a list of URLs`);
      for (const e of endpoint as string[]) endpointURL(e, `mirrors.${name}.endpoint`);
      const rewrite = m.rewrite ?? {};
      if (!isObject(rewrite) || Object.values(rewrite).some((v) => typeof v !== 'string')) throw new Error(`mirrors.${name}.rewrite: expected a mapping of regular expressions to replacements`);
      for (const re of Object.keys(rewrite)) {
        try {
          new RegExp(re);
        } catch (err) {
          throw new Error(`mirrors.${name}.rewrite: ${(err as Error).message}`);
        }
      }
      out.mirrors[name] = { endpoint: endpoint as string[], rewrite: rewrite as Record<string, string> };
    }
  }
  if (raw.configs !== undefined) {
    if (!isObject(raw.configs)) throw new Error('configs: expected a mapping of registry hosts');
    out.configs = {};
    for (const [host, c] of Object.entries(raw.configs)) {
      if (!isObject(c)) throw new Error(`configs.${host}: expected a mapping with auth and tls`);
      out.configs[host] = { ...(isObject(c.auth) ? { auth: c.auth as RegistryConfig['auth'] } : {}), ...(isObject(c.tls) ? { tls: c.tls as RegistryConfig['tls'] } : {}) };
    }
  }
  return out;
}

/**
 * The endpoints a pull of `registry/repository` tries, in order: the mirror entry's (or `"*"`'s) endpoints
 * with its rewrites, then the registry itself unless the default endpoint is disabled for a mirrored registry.
 */
export function pullEndpoints(hosts: RegistryHosts | undefined, registry: string, repository: string): PullEndpoint[] {
  const mirrors = hosts?.config.mirrors ?? {};
  const mirror = mirrors[registry] ?? (registry === 'docker.io' ? mirrors['index.docker.io'] : undefined) ?? mirrors['*'];
  const defaultHost = registry === 'docker.io' ? 'docker.io' : registry;
  const out: PullEndpoint[] = [];
  let listsDefault = false;
  for (const e of mirror?.endpoint ?? []) {
    const url = endpointURL(e, 'endpoint');
    const isDefault = url.host === defaultHost || (registry === 'docker.io' && /^(index|registry-1)\.docker\.io$/.test(url.host));
    if (isDefault) listsDefault = true;
    // k3s: rewrites are not applied to pulls against the default endpoint
    out.push(endpoint(hosts, url.host, isDefault ? repository : rewritten(repository, mirror?.rewrite), url.protocol === 'http:', isDefault));
  }
  if (!listsDefault && !(mirror && hosts?.disableDefaultEndpoint)) out.push(endpoint(hosts, defaultHost, repository, insecureRegistry(defaultHost), true));
  return out;
}

function endpoint(hosts: RegistryHosts | undefined, host: string, repository: string, http: boolean, upstream: boolean): PullEndpoint {
  const c = hosts?.config.configs?.[host] ?? hosts?.config.configs?.['*'];
  const tls = c?.tls;
  const e: PullEndpoint = { host, repository, insecure: http || tls?.insecure_skip_verify === true, upstream };
  const a = c?.auth;
  if (a && (a.auth || a.username !== undefined || a.identitytoken)) e.auth = { ...a };
  if (tls && (tls.ca_file || tls.cert_file || tls.key_file)) e.tls = { ca_file: tls.ca_file, cert_file: tls.cert_file, key_file: tls.key_file };
  return e;
}

/** The first rewrite whose expression matches (Go's `$1` references are JavaScript's too). */
function rewritten(repository: string, rewrite: Record<string, string> | undefined): string {
  for (const [re, to] of Object.entries(rewrite ?? {})) {
    const r = new RegExp(re);
    if (r.test(repository)) return repository.replace(r, to);
  }
  return repository;
}

/** An endpoint URL: scheme http or https (https when none), a host, and no path but `/v2`. */
function endpointURL(e: string, where: string): URL {
  let url: URL;
  try {
    url = new URL(/^[a-z]+:\/\//i.test(e) ? e : `https://${e}`);
  } catch {
    throw new Error(`${where}: invalid URL "${e}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${where}: "${e}": scheme must be http or https`);
  if (!/^\/?(v2\/?)?$/.test(url.pathname)) throw new Error(`${where}: "${e}": an endpoint path other than /v2 is not supported`);
  return url;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `--private-registry FILE` (an error when it cannot be read), else `<data-dir>/registries.yaml` where it
 * exists (k3s reads /etc/rancher/k3s/registries.yaml where it exists); undefined: no configuration.
 */
export function nodeRegistries(o: { file?: string; dataDir: string; disableDefaultEndpoint?: boolean }): { hosts?: RegistryHosts; source?: string } {
  const fallback = path.join(o.dataDir, 'registries.yaml');
  const source = o.file ? path.resolve(o.file) : fs.existsSync(fallback) ? fallback : undefined;
  if (!source) return o.disableDefaultEndpoint ? { hosts: { config: {}, disableDefaultEndpoint: true } } : {};
  return { hosts: { config: loadRegistries(source), disableDefaultEndpoint: o.disableDefaultEndpoint === true }, source };
}
