import type { ResourceInfo } from '../../api/resources.js';

/** Storage keys as kine lays them out: /registry/<resource>[.<group>]/[<namespace>/]<name>. */
export function resourcePrefix(info: ResourceInfo): string {
  return `/registry/${info.group ? `${info.resource}.${info.group}` : info.resource}/`;
}

/** The prefix that lists one namespace (or everything when namespace is empty). */
export function listPrefix(info: ResourceInfo, namespace: string | undefined): string {
  return info.namespaced && namespace ? `${resourcePrefix(info)}${namespace}/` : resourcePrefix(info);
}

export function objectKey(info: ResourceInfo, namespace: string | undefined, name: string): string {
  return info.namespaced ? `${resourcePrefix(info)}${namespace}/${name}` : `${resourcePrefix(info)}${name}`;
}
