/** What a resource request addresses (k8s.io/apiserver's RequestInfo). */
export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | 'connect' | '';
  apiPrefix: 'api' | 'apis' | '';
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
}

const connectSubresources = new Set(['exec', 'attach', 'portforward', 'proxy', 'log']);

export function parseRequestInfo(method: string, url: URL): RequestInfo {
  const path = url.pathname;
  const parts = path.split('/').filter(Boolean);
  // one object of one shape, filled in place: spreads and Object.assign of optional members cost more than the parse
  const info: RequestInfo = { isResourceRequest: false, path, verb: '', apiPrefix: '', group: '', version: '', resource: '', namespace: undefined, name: undefined, subresource: undefined };
  if (parts[0] !== 'api' && parts[0] !== 'apis') return info;
  info.apiPrefix = parts[0];
  let i = 1;
  if (parts[0] === 'apis') {
    if (parts.length < 3) {
      info.group = parts[1] ?? '';
      return info;
    }
    info.group = parts[i++]!;
  }
  info.version = parts[i++] ?? '';
  if (i >= parts.length) return info;
  let isWatchPath = false;
  if (parts[i] === 'watch') {
    isWatchPath = true;
    i++;
  }
  const rest = parts.slice(i);
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    // /namespaces/NS/RESOURCE/...; /namespaces/NAME/{status,finalize} address the Namespace itself
    if (rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize')) {
      info.resource = 'namespaces';
      info.name = rest[1];
      info.subresource = rest[2];
    } else {
      info.namespace = rest[1];
      info.resource = rest[2]!;
      info.name = rest[3];
      info.subresource = rest[4];
    }
  } else if (rest[0] === 'namespaces' && rest.length === 2) {
    info.resource = 'namespaces';
    info.name = rest[1];
  } else {
    info.resource = rest[0] ?? '';
    info.name = rest[1];
    info.subresource = rest[2];
  }
  info.isResourceRequest = !!info.resource;
  const watchParam = url.searchParams.get('watch');
  const watch = isWatchPath || watchParam === 'true' || watchParam === '1';
  switch (method) {
    case 'GET':
    case 'HEAD':
      info.verb = info.name ? (watch ? 'watch' : 'get') : watch ? 'watch' : 'list';
      break;
    case 'POST':
      info.verb = 'create';
      break;
    case 'PUT':
      info.verb = 'update';
      break;
    case 'PATCH':
      info.verb = 'patch';
      break;
    case 'DELETE':
      info.verb = info.name ? 'delete' : 'deletecollection';
      break;
  }
  if (info.subresource && connectSubresources.has(info.subresource)) info.verb = 'connect';
  return info;
}
