/** Which Ingresses this controller serves: by IngressClass, legacy annotation, or default class. */
import type { Ingress, IngressClass } from 'kubernetes-types/networking/v1.js';
import type { KubeObject } from '../api/types.js';

export const controllerName = 'skiff.dev/ingress-controller';
export const defaultClassName = 'skiff';
export const isDefaultClassAnnotation = 'ingressclass.kubernetes.io/is-default-class';
export const legacyClassAnnotation = 'kubernetes.io/ingress.class';

/** The IngressClass skiff creates at start (k3s ships Traefik's the same way). */
export function skiffIngressClass(): IngressClass & KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: defaultClassName, annotations: { [isDefaultClassAnnotation]: 'true' } },
    spec: { controller: controllerName },
  };
}

export interface ClassView {
  /** Names of the IngressClasses whose controller is ours. */
  ours: ReadonlySet<string>;
  /** True when one of ours is marked default. */
  oursIsDefault: boolean;
}

export function classView(classes: readonly IngressClass[]): ClassView {
  const ours = new Set<string>();
  let oursIsDefault = false;
  for (const c of classes) {
    if (c.spec?.controller !== controllerName || !c.metadata?.name) continue;
    ours.add(c.metadata.name);
    if (c.metadata.annotations?.[isDefaultClassAnnotation] === 'true') oursIsDefault = true;
  }
  return { ours, oursIsDefault };
}

/** The legacy annotation wins when present (as in ingress-nginx); otherwise spec.ingressClassName. */
export function isServed(ing: Ingress, view: ClassView): boolean {
  const annotated = ing.metadata?.annotations?.[legacyClassAnnotation];
  if (annotated !== undefined && annotated !== '') return view.ours.has(annotated);
  const name = ing.spec?.ingressClassName;
  if (name) return view.ours.has(name);
  return view.oursIsDefault;
}
