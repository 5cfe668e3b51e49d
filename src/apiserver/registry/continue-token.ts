import { badRequest } from '../../api/status.js';

/** The list continuation token, shaped like apiserver's: base64 of {v, rv, start}. */
export interface ContinueToken {
  rv: number;
  /** list resumes strictly after this key */
  start: string;
}

export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.rv, start: token.start })).toString('base64url');
}

export function decodeContinue(value: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as { v?: string; rv?: number; start?: string };
    if (parsed.v !== 'meta.k8s.io/v1' || !Number.isSafeInteger(parsed.rv) || (parsed.rv as number) <= 0 || typeof parsed.start !== 'string') throw new Error('bad');
    return { rv: parsed.rv as number, start: parsed.start };
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}
