/** authentication.k8s.io: TokenRequest (serviceaccounts/NAME/token) and SelfSubjectReview (kubectl auth whoami). */
import { badRequest, methodNotSupported, unauthorized } from '../../api/status.js';
import { selfSubjectReview } from '../auth/user.js';
import { decodeTokenRequestProtobuf, isKubernetesProtobuf } from '../auth/token-request-proto.js';
import { decodeBody, readBody, sendJSON } from '../http.js';
import type { RequestScope } from './context.js';

export async function handleTokenRequest({ server, req, res, info }: RequestScope): Promise<void> {
  if (!server.tokens) throw methodNotSupported({ group: '', resource: 'serviceaccounts/token' }, 'create');
  const raw = await readBody(req);
  let body: { spec?: Record<string, unknown> } = {};
  if (isKubernetesProtobuf(raw)) {
    try {
      body = decodeTokenRequestProtobuf(raw) as typeof body;
    } catch (err) {
      throw badRequest((err as Error).message);
    }
  } else if (raw.length) body = decodeBody(raw, req.headers['content-type']) as typeof body;
  const answer = await server.tokens.issue(info.namespace ?? 'default', info.name!, body);
  sendJSON(res, 201, answer);
}

/** A virtual resource (no storage): what the caller authenticated as. */
export async function handleSelfSubjectReview({ req, res, info, user }: Omit<RequestScope, 'storage'>): Promise<void> {
  if (info.verb !== 'create') throw methodNotSupported({ group: 'authentication.k8s.io', resource: 'selfsubjectreviews' }, info.verb);
  await readBody(req);
  if (!user) throw unauthorized();
  sendJSON(res, 201, selfSubjectReview(user));
}
