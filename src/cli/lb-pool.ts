import type { ApiServer } from '../apiserver/api-server.js';
import { isStatusError } from '../api/status.js';

export const defaultLBPool = '127.44.0.0/24';
export const defaultPoolName = 'skiff-default';

/**
 * k3s-style packaged config: `skiff server` creates IPAddressPool kube-system/skiff-default from
 * `--lb-pool` (comma-separated CIDRs or ranges) once; an existing pool is left as the user edited it.
 * An empty value creates nothing.
 */
export async function ensureDefaultLBPool(api: ApiServer, lbPool: string, log: (m: string) => void): Promise<void> {
  const addresses = lbPool.split(',').map((s) => s.trim()).filter(Boolean);
  if (addresses.length === 0) return;
  const storage = api.storage('metallb.io', 'v1beta1', 'ipaddresspools');
  if (!storage) return;
  try {
    await storage.create('kube-system', {
      apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool',
      metadata: { name: defaultPoolName, namespace: 'kube-system', labels: { 'app.kubernetes.io/managed-by': 'skiff' } },
      // .0 and .255 look like network/broadcast addresses to users: start the pool at .1
      spec: { addresses, avoidBuggyIPs: true },
    } as never);
  } catch (err) {
    if (isStatusError(err, 'AlreadyExists')) return;
    log(`default LoadBalancer pool ${JSON.stringify(lbPool)} not created: ${(err as Error).message}`);
  }
}
