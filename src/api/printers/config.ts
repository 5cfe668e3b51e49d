/** printNamespace, printConfigMap, printSecret, printServiceAccount, printLease from printers.go. */
import type { ConfigMap, Namespace, Secret, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { KubeObject } from '../types.js';
import type { TablePrinter } from '../table.js';
import { doc } from './descriptions.js';
import { translateTimestampSince } from './duration.js';
import { ageColumn, column, nameColumn } from './format.js';

const count = (m: object | null | undefined): number => Object.keys(m ?? {}).length;
const age = (obj: KubeObject, now: number): string => translateTimestampSince(obj.metadata?.creationTimestamp, now);

export const namespacePrinter: TablePrinter = {
  columns: [nameColumn(), column('Status', 'string', 'The status of the namespace'), ageColumn()],
  cells(obj: KubeObject, now: number): unknown[] {
    const ns = obj as unknown as Namespace;
    // status.phase is defaulted to Active on decode.
    return [obj.metadata?.name ?? '', ns.status?.phase || 'Active', age(obj, now)];
  },
};

export const configMapPrinter: TablePrinter = {
  columns: [nameColumn(), column('Data', 'string', doc['ConfigMap.data']), ageColumn()],
  cells(obj: KubeObject, now: number): unknown[] {
    const cm = obj as unknown as ConfigMap;
    return [obj.metadata?.name ?? '', count(cm.data) + count(cm.binaryData), age(obj, now)];
  },
};

export const secretPrinter: TablePrinter = {
  columns: [nameColumn(), column('Type', 'string', doc['Secret.type']), column('Data', 'string', doc['Secret.data']), ageColumn()],
  cells(obj: KubeObject, now: number): unknown[] {
    const secret = obj as unknown as Secret;
    return [obj.metadata?.name ?? '', secret.type || 'Opaque' /* defaulted on decode */, count(secret.data), age(obj, now)];
  },
};

export const serviceAccountPrinter: TablePrinter = {
  columns: [nameColumn(), column('Secrets', 'string', doc['ServiceAccount.secrets']), ageColumn()],
  cells(obj: KubeObject, now: number): unknown[] {
    const sa = obj as unknown as ServiceAccount;
    return [obj.metadata?.name ?? '', (sa.secrets ?? []).length, age(obj, now)];
  },
};

export const leasePrinter: TablePrinter = {
  columns: [nameColumn(), column('Holder', 'string', doc['LeaseSpec.holderIdentity']), ageColumn()],
  cells(obj: KubeObject, now: number): unknown[] {
    const lease = obj as unknown as Lease;
    return [obj.metadata?.name ?? '', lease.spec?.holderIdentity ?? '', age(obj, now)];
  },
};
