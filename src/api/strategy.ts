import type { FieldError } from './status.js';
import type { GroupVersionKind, KubeObject } from './types.js';

/** What the generic update path passes a strategy's prepareForUpdate. */
export interface UpdateContext {
  /** `status` for writes through /status; undefined for the main resource. */
  subresource?: string;
}

/** POST to a subresource that changes the object itself (pods/NAME/binding), as Kubernetes' BindingREST. */
export interface SubresourceCreate {
  /** The request body's kind, decoded and type-checked as such. */
  bodyKind: GroupVersionKind;
  /** The object with the request applied; throws StatusError to refuse. Written without update validation. */
  apply(current: KubeObject, body: KubeObject): KubeObject;
}

/**
 * Per-kind behaviour of the REST storage, as Kubernetes' registry strategies have it. The generic
 * registry (src/apiserver/registry) calls these and knows no kind by name.
 * All hooks are pure: no I/O, no clock (allocation of IPs and ports happens in the API server's admission).
 */
export interface ResourceStrategy {
  /** Fill defaults in place (SetDefaults_*). Runs on create and update, after decoding. */
  applyDefaults?(obj: KubeObject): void;
  /** Validation of a new object. Field paths as Kubernetes writes them: `spec.ports[0].nodePort`. */
  validate?(obj: KubeObject): FieldError[];
  /** Validation of an update (immutability and transitions included). */
  validateUpdate?(obj: KubeObject, old: KubeObject): FieldError[];

  /** PrepareForCreate: after the system fields are set and status reset, before defaults. */
  prepareForCreate?(obj: KubeObject): void;
  /**
   * PrepareForUpdate: after the generic preparation (identity fields, status split, generation),
   * defaults and managed fields, right before validation; runs once per write attempt.
   */
  prepareForUpdate?(obj: KubeObject, old: KubeObject, ctx: UpdateContext): void;
  /**
   * The status strategy's part: `next` is the stored object with the requested status (metadata kept
   * from the stored object); take what else the kind lets /status change from `requested`.
   */
  prepareForStatusUpdate?(next: KubeObject, requested: KubeObject): void;
  /** AllowCreateOnUpdate: a PUT of a missing object creates it (endpoints, leases, events). */
  allowCreateOnUpdate?: boolean;
  /** metadata.generation is 1 on create and bumped on spec changes (the strategies that set it). */
  tracksGeneration?: boolean;
  /** A status given on create is kept (a kubelet registers its Node with status); otherwise it is reset. */
  keepStatusOnCreate?: boolean;

  /**
   * CheckGracefulDelete: the grace period a delete waits for (0: removed at once, once nothing else
   * is pending). `requested` is DeleteOptions.gracePeriodSeconds.
   */
  gracePeriodSeconds?(obj: KubeObject, requested: number | undefined): number;
  /** A deletion that has to wait starts: set what the kind shows while it waits (namespaces: Terminating). */
  prepareForDelete?(obj: KubeObject): void;
  /** Finalizers besides metadata.finalizers that keep the object (a Namespace's spec.finalizers). */
  pendingFinalizers?(obj: KubeObject): boolean;
  /** ReturnDeletedObject: a completed delete answers with the object, not a Success Status. */
  returnDeletedObject?: boolean;

  /** Subresources written with PUT that move one part of the object (namespaces/NAME/finalize). */
  updateSubresources?: Record<string, (current: KubeObject, requested: KubeObject) => KubeObject>;
  /** Subresources created with POST that change the object (pods/NAME/binding). */
  createSubresources?: Record<string, SubresourceCreate>;
}
