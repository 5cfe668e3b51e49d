/** rest.NewDefaultTableConvertor: Name and Created At, for kinds without a printer. */
import type { KubeObject } from '../types.js';
import type { TablePrinter } from '../table.js';
import { doc } from './descriptions.js';
import { parseTime } from './duration.js';
import { column, nameColumn } from './format.js';

/** time.Time.UTC().Format(time.RFC3339): whole seconds, `Z`; the zero time for none. */
export function formatRFC3339(ts: string | null | undefined): string {
  const t = parseTime(ts);
  if (t === undefined) return '0001-01-01T00:00:00Z';
  return new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export const defaultPrinter: TablePrinter = {
  columns: [nameColumn(), column('Created At', 'date', doc['ObjectMeta.creationTimestamp'])],
  cells(obj: KubeObject): unknown[] {
    return [obj.metadata?.name ?? '', formatRFC3339(obj.metadata?.creationTimestamp)];
  },
};
