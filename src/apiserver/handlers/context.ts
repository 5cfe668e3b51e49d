import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import type { Clock } from '../../util/clock.js';
import type { RequestInfo } from '../request-info.js';
import type { RestStorage } from '../registry/rest-storage.js';
import type { ServiceAccountTokens } from '../auth/service-account.js';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/** The pure pieces (from src/api and the OpenAPI module) the handlers call; wired in one place. */
export interface ApiFunctions {
  /** Table rendering of objects (kubectl get). */
  toTable(info: ResourceInfo, objects: KubeObject[], opts: { now: number; includeObject: 'None' | 'Metadata' | 'Object'; resourceVersion?: string; continue?: string }): unknown;
  /** Compiles labelSelector / fieldSelector query values into one predicate; throws StatusError 400 on bad syntax. */
  selectorFilter(info: ResourceInfo, labelSelector: string | null, fieldSelector: string | null): ((obj: KubeObject) => boolean) | undefined;
  /** Applies a json/merge/strategic patch to the current object. */
  applyPatch(info: ResourceInfo, type: Exclude<PatchType, 'apply'>, current: KubeObject, patch: unknown): KubeObject;
  /** Server-side apply: merged object with managedFields, or a 409 conflict StatusError. */
  serverSideApply(info: ResourceInfo, live: KubeObject | undefined, applied: KubeObject, opts: { manager: string; force: boolean; now: number }): KubeObject;
  /** The object with an Update entry in managedFields for a non-apply write. */
  recordManager(info: ResourceInfo, old: KubeObject | undefined, next: KubeObject, opts: { manager: string; now: number; subresource?: string }): KubeObject;
  /** Paths of fields the schema does not know (for fieldValidation); with prune, also removes them. */
  unknownFields(info: ResourceInfo, obj: unknown, prune?: boolean): string[];
}

export interface HandlerContext {
  clock: Clock;
  fns: ApiFunctions;
  storage(group: string, version: string, resource: string): RestStorage | undefined;
  /**
   * Streams served by nodes (log, exec, attach, portforward): wired by the server when agents exist.
   * Plain requests pass `res`; upgrades (WebSocket/SPDY) pass `res` undefined and the upgraded socket.
   */
  /** TokenRequest issuing (serviceaccounts/NAME/token). */
  tokens?: ServiceAccountTokens;
  connect?(req: IncomingMessage, res: ServerResponse | undefined, info: RequestInfo, upgrade?: { socket: Duplex; head: Buffer }): Promise<void>;
}
