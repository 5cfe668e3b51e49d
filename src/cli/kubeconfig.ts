import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';

export interface KubeconfigEntry {
  name: string;
  server: string;
  caPem: string;
  token: string;
}

interface Named<T> {
  name: string;
  [key: string]: unknown;
  _?: T;
}

interface Kubeconfig {
  apiVersion: string;
  kind: string;
  clusters: Named<unknown>[];
  contexts: Named<unknown>[];
  users: Named<unknown>[];
  'current-context'?: string;
  preferences?: object;
}

function entries(e: KubeconfigEntry) {
  return {
    cluster: { name: e.name, cluster: { server: e.server, 'certificate-authority-data': Buffer.from(e.caPem).toString('base64') } },
    user: { name: e.name, user: { token: e.token } },
    context: { name: e.name, context: { cluster: e.name, user: e.name } },
  };
}

export function renderKubeconfig(e: KubeconfigEntry): string {
  const { cluster, user, context } = entries(e);
  return stringify({ apiVersion: 'v1', kind: 'Config', clusters: [cluster], contexts: [context], users: [user], 'current-context': e.name, preferences: {} });
}

async function writeAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.skiff-${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, path);
}

/** --write-kubeconfig FILE: a whole kubeconfig of its own. */
export async function writeKubeconfig(path: string, e: KubeconfigEntry): Promise<void> {
  await writeAtomic(path, renderKubeconfig(e));
}

/** Without --write-kubeconfig: merge (replace) the `skiff` entries into ~/.kube/config and select them. */
export async function mergeIntoDefaultKubeconfig(e: KubeconfigEntry, path = join(homedir(), '.kube', 'config')): Promise<string> {
  let cfg: Kubeconfig = { apiVersion: 'v1', kind: 'Config', clusters: [], contexts: [], users: [] };
  try {
    const parsed = parse(await readFile(path, 'utf8')) as Partial<Kubeconfig> | null;
    if (parsed) cfg = { ...cfg, ...parsed, clusters: parsed.clusters ?? [], contexts: parsed.contexts ?? [], users: parsed.users ?? [] };
  } catch {
    // no config yet
  }
  const { cluster, user, context } = entries(e);
  const put = (list: Named<unknown>[], item: Named<unknown>) => [...list.filter((x) => x.name !== item.name), item];
  cfg.clusters = put(cfg.clusters, cluster);
  cfg.users = put(cfg.users, user);
  cfg.contexts = put(cfg.contexts, context);
  cfg['current-context'] = e.name;
  await writeAtomic(path, stringify(cfg));
  return path;
}
