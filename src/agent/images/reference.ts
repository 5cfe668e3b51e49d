/** Image references as Docker normalises them (distribution/reference): `nginx` ≡ `docker.io/library/nginx:latest`. */

export interface ImageReference {
  /** As written in the pod spec. */
  readonly original: string;
  /** Registry host: `docker.io` for Docker Hub. */
  readonly registry: string;
  /** Repository path without registry: `library/nginx`, `jinhokwon/spring-boot-rest-first`. */
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
  /** Short familiar name, as `docker` prints it: `nginx`, `ghcr.io/org/app`. */
  readonly familiarName: string;
  /** Fully qualified with tag (or digest): `docker.io/library/nginx:1.14.2`, as containerStatuses[].image shows. */
  readonly fullName: string;
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

export function parseImageReference(original: string): ImageReference {
  let rest = original.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  const first = parts[0] ?? '';
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let registry = hasRegistry ? first.toLowerCase() : 'docker.io';
  if (DOCKER_HUB.has(registry)) registry = 'docker.io';
  let repository = (hasRegistry ? parts.slice(1) : parts).join('/');
  if (registry === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`;
  const familiarName =
    registry === 'docker.io' ? repository.replace(/^library\//, '') : `${registry}/${repository}`;
  const suffix = digest ? `@${digest}` : `:${tag ?? 'latest'}`;
  return { original, registry, repository, tag, digest, familiarName, fullName: `${registry}/${repository}${suffix}` };
}

/** The strings a mapping pattern is tried against, most specific last. */
export function matchCandidates(ref: ImageReference): string[] {
  const withTag = ref.tag ? `${ref.familiarName}:${ref.tag}` : ref.familiarName;
  return [...new Set([ref.original, ref.familiarName, withTag, `${ref.registry}/${ref.repository}`, ref.fullName])];
}

/** `match` is a regex when written `/.../`, else a glob where `*` and `?` match any characters. */
export function compilePattern(match: string): RegExp {
  if (match.length >= 2 && match.startsWith('/') && match.endsWith('/')) return new RegExp(match.slice(1, -1));
  const body = match.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}
