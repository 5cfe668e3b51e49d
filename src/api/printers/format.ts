/** Shared cell formatting, ported from printers.go and k8s.io/apimachinery labels. */
import type { TableColumnDefinition } from '../table.js';
import { doc } from './descriptions.js';

/** A column definition; format and priority default as in Go (empty string, 0). */
export function column(
  name: string,
  type: TableColumnDefinition['type'],
  description: string,
  opts: { priority?: number; format?: string } = {},
): TableColumnDefinition {
  return { name, type, format: opts.format ?? '', description, priority: opts.priority ?? 0 };
}

export const nameColumn = (): TableColumnDefinition => column('Name', 'string', doc['ObjectMeta.name'], { format: 'name' });
export const ageColumn = (): TableColumnDefinition => column('Age', 'string', doc['ObjectMeta.creationTimestamp']);

/** Go byte-order string sort (sets.String.List, sort.Strings). */
export function sortStrings(values: Iterable<string>): string[] {
  return [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** labels.FormatLabels: sorted `k=v,...`, or `<none>`. */
export function formatLabels(labels: Record<string, string> | null | undefined): string {
  const keys = sortStrings(Object.keys(labels ?? {}));
  const s = keys.map((k) => `${k}=${labels![k]}`).join(',');
  return s === '' ? '<none>' : s;
}

/** layoutContainerCells: comma-joined names and images. */
export function layoutContainerCells(containers: ReadonlyArray<{ name: string; image?: string }> | undefined): [string, string] {
  const list = containers ?? [];
  return [list.map((c) => c.name).join(','), list.map((c) => c.image ?? '').join(',')];
}

/** listWithMoreString: `a,b,c + N more...`, or `<unset>` when empty. */
export function listWithMoreString(list: string[], more: boolean, count: number, max: number): string {
  const ret = list.join(',');
  if (more) return `${ret} + ${count - max} more...`;
  return ret === '' ? '<unset>' : ret;
}

/** A LoadBalancer status as a sorted, de-duplicated IP-or-hostname list (wide: never clipped server-side). */
export function loadBalancerIngressString(ingress: ReadonlyArray<{ ip?: string; hostname?: string }> | undefined): string {
  const set = new Set<string>();
  for (const i of ingress ?? []) {
    if (i.ip) set.add(i.ip);
    else if (i.hostname) set.add(i.hostname);
  }
  return sortStrings(set).join(',');
}
