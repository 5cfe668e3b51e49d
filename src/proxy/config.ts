import { parse } from 'yaml';
import { isSchedulerName, type SchedulerName } from './schedulers/index.js';

/** kubeadm keeps kube-proxy's configuration in ConfigMap kube-system/kube-proxy, key `config.conf`. */
export const kubeProxyConfigMap = { namespace: 'kube-system', name: 'kube-proxy', key: 'config.conf' };

/** What `kubectl edit configmap -n kube-system kube-proxy` shows on a fresh cluster (kubeadm's layout). */
export function defaultKubeProxyConfiguration(clusterCIDR: string): string {
  return [
    'apiVersion: kubeproxy.config.k8s.io/v1alpha1',
    'kind: KubeProxyConfiguration',
    `clusterCIDR: ${clusterCIDR}`,
    'ipvs:',
    '  scheduler: ""',
    '  strictARP: false',
    'mode: ""',
    '',
  ].join('\n');
}

export interface ProxyModeChoice {
  /** The mode as configured ('' = the default, iptables). */
  mode: string;
  scheduler: SchedulerName;
  /** Why the configuration could not be used (the previous choice then stays). */
  error?: string;
}

/**
 * The scheduler the userspace datapath uses for a KubeProxyConfiguration: iptables and nftables pick
 * endpoints at random; IPVS uses `ipvs.scheduler`, `rr` when empty (kube-proxy's default); the old
 * userspace proxier went round robin. An empty mode keeps the server's `--proxy-scheduler`.
 */
export function schedulerForConfiguration(text: string, fallback: SchedulerName): ProxyModeChoice {
  let cfg: { mode?: unknown; ipvs?: { scheduler?: unknown } } | null;
  try {
    cfg = parse(text) as typeof cfg;
  } catch (err) {
    return { mode: '', scheduler: fallback, error: `invalid ${kubeProxyConfigMap.key}: ${(err as Error).message}` };
  }
  const mode = typeof cfg?.mode === 'string' ? cfg.mode : '';
  switch (mode) {
    case '':
      return { mode, scheduler: fallback };
    case 'iptables':
    case 'nftables':
      return { mode, scheduler: 'random' };
    case 'userspace':
      return { mode, scheduler: 'rr' };
    case 'ipvs': {
      const wanted = typeof cfg?.ipvs?.scheduler === 'string' && cfg.ipvs.scheduler ? cfg.ipvs.scheduler : 'rr';
      if (!isSchedulerName(wanted)) return { mode, scheduler: fallback, error: `unsupported IPVS scheduler "${wanted}"` };
      return { mode, scheduler: wanted };
    }
  }
  return { mode, scheduler: fallback, error: `unknown proxy mode "${mode}"` };
}
