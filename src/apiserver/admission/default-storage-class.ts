import type { KubeObject } from '../../api/types.js';
import type { ResourceHooks } from '../registry/hooks.js';

const defaultAnnotations = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'];

/**
 * The DefaultStorageClass admission plugin: a claim created with no storageClassName (nil, not "") gets
 * the default StorageClass; with several defaults, the newest wins (as since Kubernetes 1.26).
 */
export function defaultStorageClassHooks(listClasses: () => Promise<KubeObject[]>): ResourceHooks {
  return {
    async beforeCreate(obj) {
      const spec = (obj.spec ??= {}) as { storageClassName?: string };
      if (spec.storageClassName !== undefined || obj.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] !== undefined) return;
      const defaults = (await listClasses()).filter((c) => defaultAnnotations.some((a) => c.metadata.annotations?.[a] === 'true'));
      if (defaults.length === 0) return;
      defaults.sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
      spec.storageClassName = defaults[0]!.metadata.name;
    },
  };
}
