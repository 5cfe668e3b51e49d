import { StatusError, type Status } from '../api/status.js';
import type { KubeObject, WatchEvent } from '../api/types.js';
import { readBody, statusErrorFromBody, type RawRequest, type Transport } from './transport.js';

/** True for the 410 a watch or paginated list gets when its resourceVersion was compacted away. */
export function isResourceExpired(err: unknown): err is StatusError {
  return err instanceof StatusError && (err.status.code === 410 || err.status.reason === 'Expired' || err.status.reason === 'Gone');
}

function statusFromEvent(obj: unknown): StatusError {
  const s = (obj ?? {}) as Partial<Status>;
  return new StatusError({ code: s.code ?? 500, reason: s.reason ?? 'InternalError', message: s.message ?? 'watch ERROR event', details: s.details });
}

/**
 * Reads a watch response: one JSON WatchEvent per line (chunked). Aborting `signal` ends the
 * stream quietly; an ERROR event is thrown as the StatusError it carries (410 → isResourceExpired).
 */
export async function* watchStream<T extends KubeObject>(transport: Transport, req: RawRequest): AsyncGenerator<WatchEvent<T>> {
  const signal = req.signal;
  let res;
  try {
    res = await transport.open(req);
  } catch (err) {
    if (signal?.aborted) return;
    throw err;
  }
  const code = res.statusCode ?? 0;
  if (code < 200 || code > 299) throw statusErrorFromBody(code, await readBody(res));
  res.setEncoding('utf8');
  let buffer = '';
  try {
    for await (const chunk of res) {
      buffer += chunk as string;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        const event = JSON.parse(line) as WatchEvent<T>;
        if (event.type === 'ERROR') throw statusFromEvent(event.object);
        yield event;
      }
    }
    const rest = buffer.trim();
    if (rest) {
      const event = JSON.parse(rest) as WatchEvent<T>;
      if (event.type === 'ERROR') throw statusFromEvent(event.object);
      yield event;
    }
  } catch (err) {
    if (signal?.aborted) return;
    throw err;
  } finally {
    res.destroy();
  }
}
