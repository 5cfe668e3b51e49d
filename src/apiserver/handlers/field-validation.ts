import type { ServerResponse } from 'node:http';
import type { ResourceInfo } from '../../api/resources.js';
import { badRequest } from '../../api/status.js';
import { addWarning } from '../http.js';
import type { HandlerContext } from './context.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function fieldValidationOf(q: URLSearchParams): FieldValidation {
  const v = q.get('fieldValidation');
  if (v === null || v === '') return 'Warn'; // the server default since 1.27
  if (v !== 'Strict' && v !== 'Warn' && v !== 'Ignore')
    throw badRequest(`fieldValidation parameter unsupported: ${v}, must be one of: Ignore, Warn, Strict`);
  return v;
}

/** Unknown fields: 400 under Strict (decoding error), a Warning header under Warn. */
export function checkUnknownFields(ctx: HandlerContext, res: ServerResponse, info: ResourceInfo, body: unknown, mode: FieldValidation, verb: 'create' | 'update' | 'patch'): void {
  if (mode === 'Ignore') return;
  const unknown = ctx.fns.unknownFields(info, body);
  if (!unknown.length) return;
  const list = unknown.map((f) => `unknown field "${f.replace(/^\./, '')}"`);
  if (mode === 'Strict') {
    const what = verb === 'patch' ? 'strict decoding error' : `${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: strict decoding error`;
    throw badRequest(`${what}: ${list.join(', ')}`);
  }
  for (const w of list) addWarning(res, w);
}
