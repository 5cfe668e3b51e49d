/** authentication.k8s.io: TokenRequest (serviceaccounts/NAME/token) and SelfSubjectReview (kubectl auth whoami). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { methodNotSupported, unauthorized } from '../../api/status.js';
import { requestUser, selfSubjectReview } from '../auth/user.js';
import { decodeTokenRequestProtobuf, isKubernetesProtobuf } from '../auth/token-request-proto.js';
import { badRequest } from '../../api/status.js';
import { decodeBody, readBody, sendJSON } from '../http.js';
import type { RequestInfo } from '../request-info.js';
import type { HandlerContext } from './context.js';

export async function handleTokenRequest(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse, info: RequestInfo): Promise<void> {
  if (!ctx.tokens) throw methodNotSupported({ group: '', resource: 'serviceaccounts/token' }, 'create');
  const raw = await readBody(req);
  let body: { spec?: Record<string, unknown> } = {};
  if (isKubernetesProtobuf(raw)) {
    try {
      body = decodeTokenRequestProtobuf(raw) as typeof body;
    } catch (err) {
      throw badRequest((err as Error).message);
    }
  } else if (raw.length) body = decodeBody(raw, req.headers['content-type']) as typeof body;
  const answer = await ctx.tokens.issue(info.namespace ?? 'default', info.name!, body);
  sendJSON(res, 201, answer);
}

export async function handleSelfSubjectReview(req: IncomingMessage, res: ServerResponse, info: RequestInfo): Promise<void> {
  if (info.verb !== 'create') throw methodNotSupported({ group: 'authentication.k8s.io', resource: 'selfsubjectreviews' }, info.verb);
  await readBody(req);
  const user = requestUser(req);
  if (!user) throw unauthorized();
  sendJSON(res, 201, selfSubjectReview(user));
}
