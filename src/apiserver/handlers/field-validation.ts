import type { ServerResponse } from 'node:http';
import type { ResourceInfo } from '../../api/resources.js';
import { badRequest } from '../../api/status.js';
import { strictBodyError, strictPatchError, strictWarnings } from '../openapi/strict.js';
import { addWarning } from '../http.js';
import { unknownFields } from './operations.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function fieldValidationOf(q: URLSearchParams): FieldValidation {
  const v = q.get('fieldValidation');
  if (v === null || v === '') return 'Warn'; // the server default since 1.27
  if (v !== 'Strict' && v !== 'Warn' && v !== 'Ignore')
    throw badRequest(`fieldValidation parameter unsupported: ${v}, must be one of: Ignore, Warn, Strict`);
  return v;
}

/**
 * Unknown fields: under Strict a 400 decoding error (create/update) or a 422 naming the patch;
 * otherwise they are dropped, and under Warn returned as the warnings to send.
 */
export function checkUnknownFields(info: ResourceInfo, obj: unknown, mode: FieldValidation, patchText?: string): string[] {
  if (mode === 'Strict') {
    const unknown = unknownFields(info, obj);
    if (unknown.length) throw patchText !== undefined ? strictPatchError(patchText, unknown) : strictBodyError(info, unknown);
    return [];
  }
  // Warn and Ignore decode as Go does: unknown fields are dropped, not stored
  const dropped = unknownFields(info, obj, true);
  return mode === 'Warn' ? strictWarnings(dropped) : [];
}

/** Warning headers, sent once the write succeeded (a retried patch must not repeat them). */
export function sendWarnings(res: ServerResponse, warnings: string[]): void {
  for (const w of warnings) addWarning(res, w);
}
