import type { FieldError } from './status.js';
import type { KubeObject } from './types.js';

/**
 * Per-kind behaviour of the REST storage, as Kubernetes' registry strategies have it.
 * All hooks are pure: no I/O, no clock (allocation of IPs and ports happens in the API server).
 */
export interface ResourceStrategy {
  /** Fill defaults in place (SetDefaults_*). Runs on create and update, after decoding. */
  applyDefaults?(obj: KubeObject): void;
  /** Validation of a new object. Field paths as Kubernetes writes them: `spec.ports[0].nodePort`. */
  validate?(obj: KubeObject): FieldError[];
  /** Validation of an update (immutability and transitions included). */
  validateUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
}
