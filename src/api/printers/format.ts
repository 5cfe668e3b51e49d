/** Shared cell formatting, ported from printers.go and k8s.io/apimachinery labels. */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
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

/**
 * metav1.LabelSelectorAsSelector(...).String(): requirements sorted by key, values sorted.
 * Returns undefined where Go returns an error (unknown operator, wrong number of values).
 */
export function labelSelectorString(sel: LabelSelector | null | undefined): string | undefined {
  if (!sel) return ''; // labels.Nothing()
  const reqs: Array<{ key: string; text: string }> = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key, text: `${key}=${value}` });
  for (const expr of sel.matchExpressions ?? []) {
    const values = expr.values ?? [];
    const list = values.length === 1 ? values[0] : sortStrings(values).join(',');
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) return undefined;
        reqs.push({ key: expr.key, text: `${expr.key} ${expr.operator === 'In' ? 'in' : 'notin'} (${list})` });
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length !== 0) return undefined;
        reqs.push({ key: expr.key, text: expr.operator === 'Exists' ? expr.key : `!${expr.key}` });
        break;
      default:
        return undefined;
    }
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(',');
}

/** metav1.FormatLabelSelector: `<error>` on error, `<none>` when empty. */
export function formatLabelSelector(sel: LabelSelector | null | undefined): string {
  const s = labelSelectorString(sel);
  if (s === undefined) return '<error>';
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

/** net.JoinHostPort: brackets IPv6 hosts. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
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
