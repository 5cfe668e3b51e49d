/** printIngress and printIngressClass from pkg/printers/internalversion/printers.go. */
import type { Ingress, IngressClass, IngressRule, IngressTLS } from 'kubernetes-types/networking/v1.js';
import type { KubeObject } from '../types.js';
import type { TablePrinter } from '../table.js';
import { translateTimestampSince } from './duration.js';
import { ageColumn, column, loadBalancerIngressString, nameColumn } from './format.js';

/** formatHosts: up to three hosts, `*` when none; the overflow count is of rules, as in Go. */
export function formatHosts(rules: readonly IngressRule[] | undefined): string {
  const list: string[] = [];
  const max = 3;
  let more = false;
  for (const rule of rules ?? []) {
    if (list.length === max) more = true;
    if (!more && rule.host) list.push(rule.host);
  }
  if (list.length === 0) return '*';
  const ret = list.join(',');
  return more ? `${ret} + ${(rules ?? []).length - max} more...` : ret;
}

/** formatPorts: `80`, or `80, 443` when any TLS is configured. */
export function formatIngressPorts(tls: readonly IngressTLS[] | undefined): string {
  return (tls ?? []).length !== 0 ? '80, 443' : '80';
}

export const ingressPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    column('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
    column('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    column('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    column('Ports', 'string', 'Ports of TLS configurations that open'),
    ageColumn(),
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const ing = obj as unknown as Ingress;
    const className = ing.spec?.ingressClassName;
    return [
      ing.metadata?.name ?? '',
      className != null ? className : '<none>',
      formatHosts(ing.spec?.rules),
      loadBalancerIngressString(ing.status?.loadBalancer?.ingress),
      formatIngressPorts(ing.spec?.tls),
      translateTimestampSince(ing.metadata?.creationTimestamp, now),
    ];
  },
};

export const ingressClassPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    column('Controller', 'string', 'Controller that is responsible for handling this class'),
    column('Parameters', 'string', 'A reference to a resource with additional parameters'),
    ageColumn(),
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const ic = obj as unknown as IngressClass;
    const p = ic.spec?.parameters;
    let parameters = '<none>';
    if (p) {
      parameters = p.kind;
      if (p.apiGroup != null) parameters += `.${p.apiGroup}`;
      parameters += `/${p.name}`;
    }
    return [ic.metadata?.name ?? '', ic.spec?.controller ?? '', parameters, translateTimestampSince(ic.metadata?.creationTimestamp, now)];
  },
};
