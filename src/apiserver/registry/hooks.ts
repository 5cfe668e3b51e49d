import type { KubeObject } from '../../api/types.js';

export interface AdmissionContext {
  dryRun: boolean;
}

/**
 * Per-resource admission in the API server (what Kubernetes does in registry REST storage: IP and
 * port allocation, cross-object checks). Hooks throw StatusError to reject; they may mutate `obj`.
 * Exactly one of afterCommit and rollback follows an admitted write (dry runs always roll back).
 */
export interface ResourceHooks {
  beforeCreate?(obj: KubeObject, ctx: AdmissionContext): Promise<void> | void;
  beforeUpdate?(obj: KubeObject, old: KubeObject, ctx: AdmissionContext): Promise<void> | void;
  /** The admitted write is in storage: what the before-hook took is taken for good. */
  afterCommit?(obj: KubeObject, old: KubeObject | undefined): void;
  /** The admitted write failed to persist (or was a dry run): release what the before-hook took. */
  rollback?(obj: KubeObject, old: KubeObject | undefined): void;
  /** After the object is really gone from storage. */
  afterDelete?(obj: KubeObject): void;
}
