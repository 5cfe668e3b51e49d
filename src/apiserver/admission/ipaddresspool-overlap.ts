import { poolsOverlap, type IPAddressPool } from '../../api/kinds/ipaddresspool.js';
import { StatusError } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import type { ResourceHooks } from '../registry/hooks.js';

/** MetalLB's validating webhook for IPAddressPools: a pool may not overlap any other pool, in any namespace. */
export function ipAddressPoolOverlapHooks(listPools: () => Promise<KubeObject[]>): ResourceHooks {
  const check = async (obj: KubeObject) => {
    for (const other of await listPools()) {
      if (other.metadata.uid === obj.metadata.uid && obj.metadata.uid) continue;
      if (other.metadata.namespace === obj.metadata.namespace && other.metadata.name === obj.metadata.name) continue;
      const why = poolsOverlap(obj as IPAddressPool, other as IPAddressPool);
      if (why) throw new StatusError({ reason: 'Forbidden', code: 403, message: `admission webhook "ipaddresspoolvalidationwebhook.metallb.io" denied the request: ${why}` });
    }
  };
  return { beforeCreate: check, beforeUpdate: (obj) => check(obj) };
}
