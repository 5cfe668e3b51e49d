import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { SkiffError } from '../util/errors.js';
import type { LocalConnector } from './transport.js';

/** Where and as whom a client talks to the API server. */
export interface ClientConfig {
  /** `https://127.0.0.1:6443` (plain `http:` is accepted for tests). */
  server: string;
  /** Bearer token. */
  token: string;
  /** PEM bundle of the CA that signed the server certificate. */
  caData?: string;
  /** Skips server certificate verification (kubeconfig `insecure-skip-tls-verify`). */
  insecureSkipTLSVerify?: boolean;
  userAgent?: string;
  /** Deadline for each non-watch request (default 30s). */
  timeoutMs?: number;
  /**
   * In the API server's own process: requests go to it in memory (its loopback connection), still
   * authenticated with `token` and served by the same handlers; `server` only shapes the paths.
   */
  local?: LocalConnector;
}

interface NamedCluster {
  name: string;
  cluster: { server?: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string; 'insecure-skip-tls-verify'?: boolean };
}
interface NamedUser {
  name: string;
  user: { token?: string; tokenFile?: string };
}
interface NamedContext {
  name: string;
  context: { cluster?: string; user?: string; namespace?: string };
}
interface Kubeconfig {
  clusters?: NamedCluster[];
  users?: NamedUser[];
  contexts?: NamedContext[];
  'current-context'?: string;
}

function invalidKubeconfig(message: string): SkiffError {
  return new SkiffError('InvalidKubeconfig', message);
}

/** Builds a ClientConfig from kubeconfig YAML text (token auth only, as skiff issues). */
export function configFromKubeconfig(text: string, opts: { context?: string; userAgent?: string } = {}): ClientConfig & { namespace?: string } {
  const kc = (parse(text) ?? {}) as Kubeconfig;
  const contextName = opts.context ?? kc['current-context'];
  if (!contextName) throw invalidKubeconfig('kubeconfig has no current-context');
  const ctx = kc.contexts?.find((c) => c.name === contextName)?.context;
  if (!ctx) throw invalidKubeconfig(`context "${contextName}" does not exist`);
  const cluster = kc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster?.server) throw invalidKubeconfig(`cluster "${ctx.cluster}" has no server`);
  const user = kc.users?.find((u) => u.name === ctx.user)?.user ?? {};
  const token = user.token ?? (user.tokenFile ? readFileSync(user.tokenFile, 'utf8').trim() : '');
  let caData: string | undefined;
  if (cluster['certificate-authority-data']) caData = Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8');
  else if (cluster['certificate-authority']) caData = readFileSync(cluster['certificate-authority'], 'utf8');
  return {
    server: cluster.server.replace(/\/+$/, ''),
    token,
    caData,
    insecureSkipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
    userAgent: opts.userAgent,
    namespace: ctx.namespace,
  };
}

export function loadKubeconfig(path: string, opts: { context?: string; userAgent?: string } = {}): ClientConfig & { namespace?: string } {
  return configFromKubeconfig(readFileSync(path, 'utf8'), opts);
}
