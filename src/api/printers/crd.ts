/**
 * Custom-resource Tables as apiextensions-apiserver's tableconvertor builds them from a CRD's
 * additionalPrinterColumns (MetalLB's CRDs, metallb/config/crd). No Age column is added when a
 * CRD declares columns.
 */
import type { KubeObject } from '../types.js';
import type { TableColumnDefinition, TablePrinter } from '../table.js';
import { doc } from './descriptions.js';
import { translateTimestampSince } from './duration.js';
import { column, nameColumn } from './format.js';

export interface PrinterColumn {
  name: string;
  type: TableColumnDefinition['type'];
  /** Simple JSONPath such as `.spec.addresses` */
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}

/** encoding/json: map keys sorted, `<`, `>`, `&` escaped. */
export function goJSON(value: unknown): string {
  const normalize = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(normalize);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = normalize((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  return JSON.stringify(normalize(value))
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function lookup(obj: unknown, jsonPath: string): unknown {
  let cur: unknown = obj;
  for (const field of jsonPath.split('.').filter((f) => f !== '')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[field];
  }
  return cur;
}

/** One cell: string columns print as jsonpath does (JSON for lists and maps); others keep their JSON type. */
function cell(col: PrinterColumn, value: unknown, now: number): unknown {
  if (value === undefined || value === null) return null;
  switch (col.type) {
    case 'string':
      return typeof value === 'object' ? goJSON(value) : String(value);
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? value : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'date':
      return typeof value === 'string' ? translateTimestampSince(value, now) : null;
  }
  return null;
}

/** serveDefaultColumnsIfEmpty: a CRD without printer columns gets Age from creationTimestamp. */
const defaultCRDColumns: PrinterColumn[] = [
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: doc['ObjectMeta.creationTimestamp'] },
];

export function crdPrinter(printerColumns: PrinterColumn[]): TablePrinter {
  const cols = printerColumns.length > 0 ? printerColumns : defaultCRDColumns;
  return {
    columns: [
      nameColumn(),
      ...cols.map((c) =>
        column(c.name, c.type, c.description ?? `Custom resource definition column (in JSONPath format): ${c.jsonPath}`, {
          priority: c.priority ?? 0,
          format: c.format ?? '',
        }),
      ),
    ],
    cells(obj: KubeObject, now: number): unknown[] {
      return [obj.metadata?.name ?? '', ...cols.map((c) => cell(c, lookup(obj, c.jsonPath), now))];
    },
  };
}

/** metallb.io/v1beta1 IPAddressPool */
export const ipAddressPoolPrinter = crdPrinter([
  { name: 'Auto Assign', type: 'boolean', jsonPath: '.spec.autoAssign' },
  { name: 'Avoid Buggy IPs', type: 'boolean', jsonPath: '.spec.avoidBuggyIPs' },
  { name: 'Addresses', type: 'string', jsonPath: '.spec.addresses' },
]);

/** metallb.io/v1beta1 L2Advertisement */
export const l2AdvertisementPrinter = crdPrinter([
  { name: 'IPAddressPools', type: 'string', jsonPath: '.spec.ipAddressPools' },
  { name: 'IPAddressPool Selectors', type: 'string', jsonPath: '.spec.ipAddressPoolSelectors' },
  { name: 'Interfaces', type: 'string', jsonPath: '.spec.interfaces' },
  { name: 'Node Selectors', type: 'string', jsonPath: '.spec.nodeSelectors', priority: 10 },
]);
