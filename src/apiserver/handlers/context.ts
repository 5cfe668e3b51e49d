import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Clock } from '../../util/clock.js';
import type { RequestInfo } from '../request-info.js';
import type { RestStorage } from '../registry/rest-storage.js';
import type { ServiceAccountTokens } from '../auth/service-account.js';
import type { UserInfo } from '../auth/user.js';

export type { PatchType } from './operations.js';

/** What the API server gives every request: the clock, the storages, the services behind subresources. */
export interface ServerContext {
  clock: Clock;
  storage(group: string, version: string, resource: string): RestStorage | undefined;
  /** TokenRequest issuing (serviceaccounts/NAME/token). */
  tokens?: ServiceAccountTokens;
  /**
   * Streams served by nodes (log, exec, attach, portforward): wired by the server when agents exist.
   * Plain requests pass `res`; upgrades (WebSocket/SPDY) pass `res` undefined and the upgraded socket.
   */
  connect?(req: IncomingMessage, res: ServerResponse | undefined, info: RequestInfo, upgrade?: { socket: Duplex; head: Buffer }): Promise<void>;
}

/** One request, as every handler takes it (apiserver's RequestScope). */
export interface RequestScope {
  server: ServerContext;
  info: RequestInfo;
  req: IncomingMessage;
  res: ServerResponse;
  /** The request URL, parsed once. */
  url: URL;
  /** The storage of the addressed resource. */
  storage: RestStorage;
  /** Who made the request (authenticated before dispatch). */
  user: UserInfo | undefined;
}

export type Handler = (scope: RequestScope) => Promise<void>;
