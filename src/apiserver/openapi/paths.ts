/**
 * OpenAPI v3 path items for one resource, shaped like kube-apiserver's: list/create/deletecollection on the
 * collection, get/replace/patch/delete on the item, plus `/status` and `/scale`. kubectl reads the `patch`
 * operation of each kind: its `x-kubernetes-group-version-kind` and a `fieldValidation` parameter make it
 * send `?fieldValidation=Strict` and leave validation to the server.
 */
import { isCustomResource, type ResourceInfo } from '../../api/resources.js';
import type { GroupVersionKind } from '../../api/types.js';
import { definitionFor, REF_PREFIX } from './schemas.js';

export type Json = Record<string, unknown>;

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const SCALE = 'io.k8s.api.autoscaling.v1.Scale';

function q(name: string, description: string, type = 'string', extra: Json = {}): Json {
  return { name, in: 'query', description, schema: { type, uniqueItems: true, ...extra } };
}

export const parameters = {
  pretty: q('pretty', "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget)."),
  dryRun: q('dryRun', 'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed'),
  fieldManager: q('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.'),
  fieldValidation: q('fieldValidation', 'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.'),
  force: q('force', 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.', 'boolean'),
  allowWatchBookmarks: q('allowWatchBookmarks', 'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server\'s discretion.', 'boolean'),
  continue: q('continue', 'The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue).'),
  fieldSelector: q('fieldSelector', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  labelSelector: q('labelSelector', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  limit: q('limit', 'limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results.', 'integer'),
  resourceVersion: q('resourceVersion', 'resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.'),
  resourceVersionMatch: q('resourceVersionMatch', 'resourceVersionMatch determines how resourceVersion is applied to list calls. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.'),
  sendInitialEvents: q('sendInitialEvents', '`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection.', 'boolean'),
  timeoutSeconds: q('timeoutSeconds', 'Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.', 'integer'),
  watch: q('watch', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.', 'boolean'),
  gracePeriodSeconds: q('gracePeriodSeconds', 'The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately.', 'integer'),
  orphanDependents: q('orphanDependents', 'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned.', 'boolean'),
  propagationPolicy: q('propagationPolicy', "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground."),
};

const listParams = ['allowWatchBookmarks', 'continue', 'fieldSelector', 'labelSelector', 'limit', 'resourceVersion', 'resourceVersionMatch', 'sendInitialEvents', 'timeoutSeconds', 'watch'] as const;
const p = (...names: Array<keyof typeof parameters>): Json[] => names.map((n) => parameters[n]);

function pathParam(name: string, description: string): Json {
  return { name, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } };
}

const ref = (def: string): Json => ({ $ref: `${REF_PREFIX}${def}` });
const mediaTypes = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
function response(description: string, def: string): Json {
  return { description, content: Object.fromEntries(mediaTypes.map((m) => [m, { schema: ref(def) }])) };
}
const unauthorized = { description: 'Unauthorized' };
function body(def: string): Json {
  return { content: { '*/*': { schema: ref(def) } }, required: true };
}
/** Custom resources (MetalLB's kinds) take no strategic merge patch, and say so as CRDs do. */
function patchBody(gvk: GroupVersionKind): Json {
  const types = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json'];
  if (!isCustomResource(gvk)) types.push('application/strategic-merge-patch+json');
  return { content: Object.fromEntries(types.map((m) => [m, { schema: ref(`${META}.Patch`) }])), required: true };
}

/** `networking.k8s.io`, v1 → NetworkingV1; core → CoreV1 (kube's operationId prefixes). */
export function groupVersionTag(group: string, version: string): string {
  const head = group === '' ? 'core' : group.endsWith('.k8s.io') ? group.slice(0, -'.k8s.io'.length) : group;
  const camel = head.split(/[.-]/).map((s) => s.charAt(0).toUpperCase() + s.slice(1)).join('');
  return `${camel}${version.charAt(0).toUpperCase()}${version.slice(1)}`;
}

/** The URL prefix of a group-version: `/api/v1` or `/apis/G/V`. */
export function groupVersionPrefix(group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

function op(action: string, id: string, gvk: GroupVersionKind, tag: string, extra: Json): Json {
  return { tags: [tag], operationId: id, ...extra, 'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': gvk };
}

/** The path items of one resource, and nothing for a kind that has no schema. */
export function resourcePaths(info: ResourceInfo): Record<string, Json> {
  const gvk = { group: info.group, version: info.version, kind: info.kind };
  const def = definitionFor(gvk);
  const listDef = definitionFor({ ...gvk, kind: `${info.kind}List` });
  if (!def || !listDef) return {};
  const tag = groupVersionTag(info.group, info.version);
  const ns = info.namespaced ? 'Namespaced' : '';
  const base = `${groupVersionPrefix(info.group, info.version)}${info.namespaced ? '/namespaces/{namespace}' : ''}/${info.resource}`;
  const scopeParams = info.namespaced ? [pathParam('namespace', 'object name and auth scope, such as for teams and projects')] : [];
  const nameParam = pathParam('name', `name of the ${info.kind}`);
  const out: Record<string, Json> = {};
  const K = `${ns}${info.kind}`;

  out[base] = {
    get: op('list', `list${tag}${K}`, gvk, tag, { description: `list or watch objects of kind ${info.kind}`, parameters: p(...listParams), responses: { '200': response('OK', listDef), '401': unauthorized } }),
    post: op('post', `create${tag}${K}`, gvk, tag, {
      description: `create a ${info.kind}`,
      parameters: p('dryRun', 'fieldManager', 'fieldValidation'),
      requestBody: body(def),
      responses: { '200': response('OK', def), '201': response('Created', def), '202': response('Accepted', def), '401': unauthorized },
    }),
    delete: op('deletecollection', `deleteCollection${tag}${K}`, gvk, tag, {
      description: `delete collection of ${info.kind}`,
      parameters: p('continue', 'dryRun', 'fieldSelector', 'gracePeriodSeconds', 'labelSelector', 'limit', 'orphanDependents', 'propagationPolicy', 'resourceVersion', 'resourceVersionMatch', 'sendInitialEvents', 'timeoutSeconds'),
      requestBody: { content: { '*/*': { schema: ref(`${META}.DeleteOptions`) } } },
      responses: { '200': response('OK', `${META}.Status`), '401': unauthorized },
    }),
    parameters: [...scopeParams, parameters.pretty],
  };
  out[`${base}/{name}`] = itemPaths({ gvk, def, tag, K, what: info.kind, params: [nameParam, ...scopeParams, parameters.pretty], deletable: true });

  if (info.namespaced) {
    out[`${groupVersionPrefix(info.group, info.version)}/${info.resource}`] = {
      get: op('list', `list${tag}${info.kind}ForAllNamespaces`, gvk, tag, { description: `list or watch objects of kind ${info.kind}`, responses: { '200': response('OK', listDef), '401': unauthorized } }),
      parameters: [...p(...listParams), parameters.pretty],
    };
  }
  for (const sub of info.subresources) {
    if (sub !== 'status' && sub !== 'scale') continue;
    const subGvk = sub === 'scale' ? { group: 'autoscaling', version: 'v1', kind: 'Scale' } : gvk;
    const subDef = sub === 'scale' ? SCALE : def;
    const cap = sub.charAt(0).toUpperCase() + sub.slice(1);
    out[`${base}/{name}/${sub}`] = itemPaths({ gvk: subGvk, def: subDef, tag, K: `${K}${cap}`, what: `${sub} of the specified ${info.kind}`, params: [pathParam('name', `name of the ${sub === 'scale' ? 'Scale' : info.kind}`), ...scopeParams, parameters.pretty], deletable: false });
  }
  return out;
}

function itemPaths(o: { gvk: GroupVersionKind; def: string; tag: string; K: string; what: string; params: Json[]; deletable: boolean }): Json {
  const { gvk, def, tag, K, what } = o;
  const item: Json = {
    get: op('get', `read${tag}${K}`, gvk, tag, { description: `read the specified ${what}`, responses: { '200': response('OK', def), '401': unauthorized } }),
    put: op('put', `replace${tag}${K}`, gvk, tag, {
      description: `replace the specified ${what}`,
      parameters: p('dryRun', 'fieldManager', 'fieldValidation'),
      requestBody: body(def),
      responses: { '200': response('OK', def), '201': response('Created', def), '401': unauthorized },
    }),
    patch: op('patch', `patch${tag}${K}`, gvk, tag, {
      description: `partially update the specified ${what}`,
      parameters: p('dryRun', 'fieldManager', 'fieldValidation', 'force'),
      requestBody: patchBody(gvk),
      responses: { '200': response('OK', def), '201': response('Created', def), '401': unauthorized },
    }),
  };
  if (o.deletable) {
    item.delete = op('delete', `delete${tag}${K}`, gvk, tag, {
      description: `delete a ${what}`,
      parameters: p('dryRun', 'gracePeriodSeconds', 'orphanDependents', 'propagationPolicy'),
      requestBody: { content: { '*/*': { schema: ref(`${META}.DeleteOptions`) } } },
      responses: { '200': response('OK', def), '202': response('Accepted', def), '401': unauthorized },
    });
  }
  item.parameters = o.params;
  return item;
}
