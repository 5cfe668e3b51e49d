import { forbidden } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import type { ResourceHooks } from '../registry/hooks.js';

const defaultAnnotation = 'ingressclass.kubernetes.io/is-default-class';

/**
 * The DefaultIngressClass admission plugin: an Ingress created without a class (and without the
 * legacy annotation) gets the cluster's default IngressClass; two defaults make such creates fail.
 */
export function defaultIngressClassHooks(listClasses: () => Promise<KubeObject[]>): ResourceHooks {
  return {
    async beforeCreate(obj) {
      const spec = (obj.spec ??= {}) as { ingressClassName?: string };
      if (spec.ingressClassName || obj.metadata.annotations?.['kubernetes.io/ingress.class']) return;
      const defaults = (await listClasses()).filter((c) => c.metadata.annotations?.[defaultAnnotation] === 'true');
      if (defaults.length > 1)
        throw forbidden({ group: 'networking.k8s.io', resource: 'ingresses' }, obj.metadata.name ?? '', `${defaults.length} default IngressClasses were found, only 1 allowed`);
      if (defaults.length === 1) spec.ingressClassName = defaults[0]!.metadata.name;
    },
  };
}
