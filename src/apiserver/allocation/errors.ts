import { SkiffError } from '../../util/errors.js';

/** Allocator errors; the messages are Kubernetes' own (they end up inside Status messages). */
export class AllocationError extends SkiffError {
  constructor(code: 'NotInRange' | 'Allocated' | 'Full' | 'Invalid', message: string) {
    super(code, message);
    this.name = 'AllocationError';
  }
}

export const errAllocated = (what: 'IP' | 'port'): AllocationError => new AllocationError('Allocated', `provided ${what} is already allocated`);
export const errFull = (): AllocationError => new AllocationError('Full', 'range is full');
