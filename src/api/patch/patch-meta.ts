/**
 * Per-kind list and map semantics for the kinds skiff serves, transcribed from the Go struct tags
 * of k8s.io/api (`patchStrategy`, `patchMergeKey`, `+listType`, `+listMapKey`, `+mapType`,
 * `+structType`). Strategic merge patch uses the first map key as `patchMergeKey`; server-side
 * apply uses all keys (with schema defaults for missing key fields, e.g. `protocol: TCP`).
 *
 * Paths are dotted field names; list items do not add a segment
 * (`spec.template.spec.containers.ports` is the ports list of every container).
 * Anything not listed is: a granular map/struct, or an atomic list (replaced whole).
 */

export type ListType =
  | { type: 'atomic' }
  /** A list of scalars merged as a set (patchStrategy merge without a key: finalizers). */
  | { type: 'set' }
  /** A list of objects merged by key (patchMergeKey = keys[0]). */
  | { type: 'map'; keys: string[]; keyDefaults?: Record<string, unknown> };

export interface PathMeta {
  list?: ListType;
  /** patchStrategy includes retainKeys (volumes, deployment strategy). */
  retainKeys?: boolean;
  /** A map or struct owned as a whole by server-side apply (`+mapType=atomic`, `+structType=atomic`). */
  atomic?: boolean;
}

export interface KindRef {
  group: string;
  kind: string;
}

const tcp = { protocol: 'TCP' };
const byName: ListType = { type: 'map', keys: ['name'] };
const byType: ListType = { type: 'map', keys: ['type'] };
const set: ListType = { type: 'set' };

function prefixed(prefix: string, entries: Record<string, PathMeta>): Record<string, PathMeta> {
  const out: Record<string, PathMeta> = {};
  for (const [k, v] of Object.entries(entries)) out[prefix ? `${prefix}.${k}` : k] = v;
  return out;
}

const objectMeta: Record<string, PathMeta> = {
  finalizers: { list: set },
  ownerReferences: { list: { type: 'map', keys: ['uid'] } },
};

const container = (p: string): Record<string, PathMeta> =>
  prefixed(p, {
    '': { list: byName },
    ports: { list: { type: 'map', keys: ['containerPort', 'protocol'], keyDefaults: tcp } },
    env: { list: byName },
    volumeMounts: { list: { type: 'map', keys: ['mountPath'] } },
    volumeDevices: { list: { type: 'map', keys: ['devicePath'] } },
    'resources.claims': { list: byName },
  });

const labelSelector = { atomic: true };

const podSpec: Record<string, PathMeta> = {
  ...stripEmpty(container('containers')),
  ...stripEmpty(container('initContainers')),
  ...stripEmpty(container('ephemeralContainers')),
  volumes: { list: byName, retainKeys: true },
  imagePullSecrets: { list: byName },
  hostAliases: { list: { type: 'map', keys: ['ip'] } },
  topologySpreadConstraints: { list: { type: 'map', keys: ['topologyKey', 'whenUnsatisfiable'] } },
  'topologySpreadConstraints.labelSelector': labelSelector,
  schedulingGates: { list: byName },
  resourceClaims: { list: byName, retainKeys: true },
  readinessGates: { list: { type: 'atomic' } },
  nodeSelector: { atomic: true },
};

/** `container('x')` yields key 'x.' for the list itself; normalise to 'x'. */
function stripEmpty(entries: Record<string, PathMeta>): Record<string, PathMeta> {
  const out: Record<string, PathMeta> = {};
  for (const [k, v] of Object.entries(entries)) out[k.endsWith('.') ? k.slice(0, -1) : k] = v;
  return out;
}

const podStatus: Record<string, PathMeta> = {
  conditions: { list: byType },
  podIPs: { list: { type: 'map', keys: ['ip'] } },
  hostIPs: { list: { type: 'map', keys: ['ip'] } },
  resourceClaimStatuses: { list: byName },
};

const podTemplate = (p: string): Record<string, PathMeta> => ({
  ...prefixed(`${p}.metadata`, objectMeta),
  ...prefixed(`${p}.spec`, podSpec),
});

const conditionsByType = { 'status.conditions': { list: byType } };

const perKind: Record<string, Record<string, PathMeta>> = {
  '/Pod': { ...prefixed('spec', podSpec), ...prefixed('status', podStatus) },
  '/Service': {
    'spec.ports': { list: { type: 'map', keys: ['port', 'protocol'], keyDefaults: tcp } },
    'spec.selector': { atomic: true },
    ...conditionsByType,
  },
  '/Node': {
    'spec.podCIDRs': { list: set },
    'status.conditions': { list: byType },
    'status.addresses': { list: byType },
  },
  '/Namespace': { ...conditionsByType },
  '/ServiceAccount': { secrets: { list: byName } },
  '/Endpoints': {},
  '/Event': {},
  '/ConfigMap': {},
  '/Secret': {},
  'apps/Deployment': {
    'spec.selector': labelSelector,
    'spec.strategy': { retainKeys: true },
    ...podTemplate('spec.template'),
    ...conditionsByType,
  },
  'apps/ReplicaSet': { 'spec.selector': labelSelector, ...podTemplate('spec.template'), ...conditionsByType },
  'apps/StatefulSet': { 'spec.selector': labelSelector, ...podTemplate('spec.template'), ...conditionsByType },
  'apps/DaemonSet': { 'spec.selector': labelSelector, ...podTemplate('spec.template'), ...conditionsByType },
  'apps/ControllerRevision': {},
  'discovery.k8s.io/EndpointSlice': {},
  'networking.k8s.io/Ingress': {},
  'networking.k8s.io/IngressClass': {},
  'coordination.k8s.io/Lease': {},
};

const cache = new Map<string, Map<string, PathMeta>>();

function tableFor(kind: KindRef): Map<string, PathMeta> {
  const key = `${kind.group}/${kind.kind}`;
  let t = cache.get(key);
  if (!t) {
    t = new Map(Object.entries({ ...prefixed('metadata', objectMeta), ...(perKind[key] ?? {}) }));
    cache.set(key, t);
  }
  return t;
}

/** The semantics of every field of the kind, by dotted path (pathMeta's table, for walks that look up many). */
export function pathMetaTable(kind: KindRef): ReadonlyMap<string, PathMeta> {
  return tableFor(kind);
}

/** The semantics of the field at `path` (field names only, no list indices). */
export function pathMeta(kind: KindRef, path: readonly string[]): PathMeta | undefined {
  return tableFor(kind).get(path.join('.'));
}
