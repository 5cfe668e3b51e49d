import type { KubeObject } from './types.js';

/** metav1.TableColumnDefinition */
export interface TableColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}

/** Prints one kind as a server-side Table (pkg/printers/internalversion/printers.go). */
export interface TablePrinter {
  columns: TableColumnDefinition[];
  /** Cells in column order, wide columns included. `now` is epoch ms (for ages). */
  cells(obj: KubeObject, now: number): unknown[];
}
