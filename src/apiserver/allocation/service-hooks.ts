/**
 * The Service allocator as REST-storage admission hooks. The storage layer reports failure
 * (rollback) but not success, so an update's releases happen at admission and a rollback takes
 * them back; a create has nothing to release.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../api/types.js';
import type { ResourceHooks } from '../registry/hooks.js';
import type { AllocationTransaction, ServiceAllocator } from './service-allocator.js';

export function serviceAllocationHooks(allocator: ServiceAllocator): ResourceHooks {
  const pending = new WeakMap<KubeObject, AllocationTransaction>();
  return {
    beforeCreate(obj) {
      const txn = allocator.allocateCreate(obj as unknown as Service);
      txn.commit();
      pending.set(obj, txn);
    },
    beforeUpdate(obj, old) {
      const txn = allocator.allocateUpdate(obj as unknown as Service, old as unknown as Service);
      txn.commit();
      pending.set(obj, txn);
    },
    rollback(obj) {
      pending.get(obj)?.revert();
      pending.delete(obj);
    },
    afterDelete(obj) {
      allocator.releaseService(obj as unknown as Service);
    },
  };
}
