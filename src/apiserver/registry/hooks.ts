import type { KubeObject } from '../../api/types.js';

export interface AdmissionContext {
  dryRun: boolean;
}

/**
 * Per-resource admission in the API server (what Kubernetes does in registry REST storage: IP and
 * port allocation, cross-object checks). Hooks throw StatusError to reject; they may mutate `obj`.
 */
export interface ResourceHooks {
  beforeCreate?(obj: KubeObject, ctx: AdmissionContext): Promise<void> | void;
  beforeUpdate?(obj: KubeObject, old: KubeObject, ctx: AdmissionContext): Promise<void> | void;
  /** Called when the create/update that a before-hook admitted failed to persist: release what it took. */
  rollback?(obj: KubeObject, old: KubeObject | undefined): void;
  /** After the object is really gone from storage. */
  afterDelete?(obj: KubeObject): void;
}
