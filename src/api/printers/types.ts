import type { KubeObject } from '../types.js';
import type { TablePrinter } from '../table.js';

/** metav1.TableRowCondition */
export interface TableRowCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

/** A printer that may also attach row conditions (printPod marks finished pods `Completed`). */
export interface RowPrinter extends TablePrinter {
  conditions?(obj: KubeObject): TableRowCondition[] | undefined;
}
