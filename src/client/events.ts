import type { Event, ObjectReference } from 'kubernetes-types/core/v1.js';
import { findResource } from '../api/resources.js';
import { isStatusError } from '../api/status.js';
import type { KubeObject } from '../api/types.js';
import { realClock, rfc3339, type Clock } from '../util/clock.js';
import { errorMessage } from '../util/errors.js';
import type { RestClient } from './rest.js';

export type EventType = 'Normal' | 'Warning';

const eventsResource = findResource('', 'v1', 'events')!;
const maxCacheEntries = 4096;

interface Seen {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
}

export interface EventRecorderOptions {
  client: RestClient;
  /** source.component / reportingComponent, e.g. `replicaset-controller`. */
  component: string;
  host?: string;
  clock?: Clock;
  log?: (message: string) => void;
}

/** What client-go's reference.GetReference yields for an object. */
export function objectReference(obj: KubeObject, fieldPath?: string): ObjectReference {
  const ref: ObjectReference = {
    kind: obj.kind,
    namespace: obj.metadata.namespace,
    name: obj.metadata.name,
    uid: obj.metadata.uid,
    apiVersion: obj.apiVersion,
    resourceVersion: obj.metadata.resourceVersion,
  };
  if (fieldPath) ref.fieldPath = fieldPath;
  return ref;
}

/** The identity under which repeats of one event are counted (client-go's getEventKey). */
export function eventKey(e: Pick<Event, 'source' | 'involvedObject' | 'type' | 'reason' | 'message'>): string {
  const o = e.involvedObject;
  return [e.source?.component, e.source?.host, o.kind, o.namespace, o.name, o.fieldPath, o.uid, o.apiVersion, e.type, e.reason, e.message].join('\x00');
}

/**
 * Records core/v1 Events as client-go's recorder does: the first occurrence is created as
 * `<object>.<hex nanos>`, repeats bump `count` and `lastTimestamp` on that Event by patch.
 * Recording never throws and never blocks the caller; `flush` waits for pending writes.
 */
export class EventRecorder {
  private readonly clock: Clock;
  private readonly log: (message: string) => void;
  private readonly seen = new Map<string, Seen>();
  private pending: Promise<void> = Promise.resolve();
  private lastNanos = 0n;

  constructor(private readonly opts: EventRecorderOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? ((m) => console.error(m));
  }

  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    const now = this.clock.now();
    const involvedObject = objectReference(obj);
    const source = { component: this.opts.component, ...(this.opts.host ? { host: this.opts.host } : {}) };
    const key = eventKey({ source, involvedObject, type, reason, message });
    this.pending = this.pending.then(() => this.write({ key, involvedObject, source, type, reason, message, now }));
  }

  /** Resolves when every event recorded so far has been written (or failed and been logged). */
  flush(): Promise<void> {
    return this.pending;
  }

  private async write(e: { key: string; involvedObject: ObjectReference; source: { component: string; host?: string }; type: EventType; reason: string; message: string; now: number }): Promise<void> {
    const timestamp = rfc3339(e.now);
    const prior = this.seen.get(e.key);
    try {
      if (prior) {
        const count = prior.count + 1;
        try {
          await this.opts.client.patch(eventsResource, {
            namespace: prior.namespace,
            name: prior.name,
            type: 'merge',
            patch: { count, lastTimestamp: timestamp, message: e.message },
          });
          this.remember(e.key, { ...prior, count });
          return;
        } catch (err) {
          // The Event expired or was deleted: start afresh, as client-go does.
          if (!isStatusError(err, 'NotFound')) throw err;
          this.seen.delete(e.key);
        }
      }
      const namespace = e.involvedObject.namespace || 'default';
      const name = `${e.involvedObject.name}.${this.uniqueNanos(e.now).toString(16)}`;
      const event: Event & KubeObject = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: e.involvedObject,
        reason: e.reason,
        message: e.message,
        source: e.source,
        firstTimestamp: timestamp,
        lastTimestamp: timestamp,
        count: 1,
        type: e.type,
        reportingComponent: e.source.component,
        reportingInstance: e.source.host ?? '',
      };
      await this.opts.client.create(eventsResource, event, { namespace });
      this.remember(e.key, { name, namespace, count: 1, firstTimestamp: timestamp });
    } catch (err) {
      this.log(`event recorder: could not record ${e.type} ${e.reason} for ${e.involvedObject.kind}/${e.involvedObject.name}: ${errorMessage(err)}`);
    }
  }

  private remember(key: string, s: Seen): void {
    this.seen.delete(key); // re-insert to keep Map order as recency (a small LRU)
    this.seen.set(key, s);
    if (this.seen.size > maxCacheEntries) this.seen.delete(this.seen.keys().next().value!);
  }

  /** Nanoseconds from the clock, nudged forward so two events in one millisecond differ. */
  private uniqueNanos(ms: number): bigint {
    let n = BigInt(ms) * 1_000_000n;
    if (n <= this.lastNanos) n = this.lastNanos + 1n;
    this.lastNanos = n;
    return n;
  }
}
