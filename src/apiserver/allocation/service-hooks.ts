/**
 * The Service allocator as REST-storage admission hooks: what a write takes is reserved at admission
 * and kept once the write commits; the addresses and ports it gives up are released only then.
 * A write that fails (or a dry run) gives back what it took and releases nothing.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../api/types.js';
import type { ResourceHooks } from '../registry/hooks.js';
import type { AllocationTransaction, ServiceAllocator } from './service-allocator.js';

export function serviceAllocationHooks(allocator: ServiceAllocator): ResourceHooks {
  const pending = new WeakMap<KubeObject, AllocationTransaction>();
  const finish = (obj: KubeObject, committed: boolean) => {
    const txn = pending.get(obj);
    pending.delete(obj);
    if (committed) txn?.commit();
    else txn?.revert();
  };
  return {
    beforeCreate(obj) {
      pending.set(obj, allocator.allocateCreate(obj as unknown as Service));
    },
    beforeUpdate(obj, old) {
      pending.set(obj, allocator.allocateUpdate(obj as unknown as Service, old as unknown as Service));
    },
    afterCommit: (obj) => finish(obj, true),
    rollback: (obj) => finish(obj, false),
    afterDelete(obj) {
      allocator.releaseService(obj as unknown as Service);
    },
  };
}
