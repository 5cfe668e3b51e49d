/** printEvent (core/v1 Event) from pkg/printers/internalversion/printers.go, wide layout. */
import type { Event } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../types.js';
import type { TablePrinter } from '../table.js';
import { doc } from './descriptions.js';
import { translateTimestampSince } from './duration.js';
import { column } from './format.js';

/** formatEventSource: component (or reportingController), then `, host` (or reportingInstance) if any. */
export function formatEventSource(ev: Event): string {
  const component = ev.source?.component || ev.reportingComponent || '';
  const instance = ev.source?.host || ev.reportingInstance || '';
  return instance.length === 0 ? component : `${component}, ${instance}`;
}

export const eventPrinter: TablePrinter = {
  columns: [
    column('Last Seen', 'string', doc['Event.lastTimestamp']),
    column('Type', 'string', doc['Event.type']),
    column('Reason', 'string', doc['Event.reason']),
    column('Object', 'string', doc['Event.involvedObject']),
    column('Subobject', 'string', doc['ObjectReference.fieldPath'], { priority: 1 }),
    column('Source', 'string', doc['Event.source'], { priority: 1 }),
    column('Message', 'string', doc['Event.message']),
    column('First Seen', 'string', doc['Event.firstTimestamp'], { priority: 1 }),
    column('Count', 'string', doc['Event.count'], { priority: 1 }),
    column('Name', 'string', doc['ObjectMeta.name'], { priority: 1, format: 'name' }),
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const ev = obj as unknown as Event;
    const firstTimestamp = ev.firstTimestamp
      ? translateTimestampSince(ev.firstTimestamp, now)
      : translateTimestampSince(ev.eventTime, now);
    let lastTimestamp = ev.lastTimestamp ? translateTimestampSince(ev.lastTimestamp, now) : firstTimestamp;
    let count = ev.count ?? 0;
    if (ev.series) {
      lastTimestamp = translateTimestampSince(ev.series.lastObservedTime, now);
      count = ev.series.count ?? 0;
    } else if (count === 0) {
      count = 1; // singleton events from events.k8s.io carry no count
    }
    const kind = (ev.involvedObject?.kind ?? '').toLowerCase();
    const target = ev.involvedObject?.name ? `${kind}/${ev.involvedObject.name}` : kind;
    return [
      lastTimestamp,
      ev.type ?? '',
      ev.reason ?? '',
      target,
      ev.involvedObject?.fieldPath ?? '',
      formatEventSource(ev),
      (ev.message ?? '').trim(),
      firstTimestamp,
      count,
      ev.metadata?.name ?? '',
    ];
  },
};
