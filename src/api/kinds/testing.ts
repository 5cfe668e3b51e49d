/** Test helper: render a kind's validation errors as the API server's message. */
import { fieldErrorMessage, type FieldError } from '../status.js';

export function messages(errs: FieldError[]): string[] {
  return errs.map(fieldErrorMessage);
}
