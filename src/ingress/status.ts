/** `status.loadBalancer` of served Ingresses: the LB IP of `skiff-ingress` once assigned, else the node IP. */
import type { LoadBalancerIngress, Service } from 'kubernetes-types/core/v1.js';
import type { Ingress, IngressLoadBalancerIngress } from 'kubernetes-types/networking/v1.js';

export function desiredLoadBalancer(svc: Service | undefined, nodeIP: string): IngressLoadBalancerIngress[] {
  const assigned: LoadBalancerIngress[] = svc?.status?.loadBalancer?.ingress ?? [];
  const out: IngressLoadBalancerIngress[] = [];
  for (const a of assigned) {
    if (a.ip) out.push({ ip: a.ip });
    else if (a.hostname) out.push({ hostname: a.hostname });
  }
  return out.length ? out : [{ ip: nodeIP }];
}

export function loadBalancerUpToDate(ing: Ingress, want: IngressLoadBalancerIngress[]): boolean {
  const have = ing.status?.loadBalancer?.ingress ?? [];
  return have.length === want.length && want.every((w, i) => have[i]?.ip === w.ip && have[i]?.hostname === w.hostname && !have[i]?.ports);
}
