/**
 * `pods/{log,exec,attach,portforward}`: resolve pod → container → node → kubelet endpoint, then proxy
 * (logs as a plain streamed request; the others as upgrades, WebSocket or SPDY alike).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { badRequest, StatusError } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import type { RequestInfo } from '../request-info.js';
import { assignedNode, kubeletEndpoint, kubeletPath, resolveContainer, type PodSubresource } from './locate.js';
import { proxyPlain, proxyUpgrade, type KubeletClientOptions } from './proxy.js';

/** The API's own storage for a resource (RestStorage); `get` throws the NotFound StatusError. */
export interface ObjectGetter {
  get(namespace: string | undefined, name: string): Promise<KubeObject>;
}

export interface PodConnectOptions extends KubeletClientOptions {
  storage(group: string, version: string, resource: string): ObjectGetter | undefined;
  log?: (msg: string) => void;
}

export interface UpgradeConnection {
  socket: Duplex;
  head: Buffer;
}

export type ConnectHandler = (req: IncomingMessage, res: ServerResponse | undefined, info: RequestInfo, upgrade?: UpgradeConnection) => Promise<void>;

const subresources = new Set<PodSubresource>(['log', 'exec', 'attach', 'portforward']);

function notFoundPath(): StatusError {
  return new StatusError({ reason: 'NotFound', code: 404, message: 'the server could not find the requested resource', details: {} });
}

export function createPodConnect(opts: PodConnectOptions): ConnectHandler {
  const get = async <T>(resource: string, namespace: string | undefined, name: string): Promise<T> => {
    const storage = opts.storage('', 'v1', resource);
    if (!storage) throw notFoundPath();
    return (await storage.get(namespace, name)) as unknown as T;
  };
  const getPod = (namespace: string, name: string) => get<Pod>('pods', namespace, name);
  const getNode = (name: string) => get<Node>('nodes', undefined, name);
  return async (req, res, info, upgrade) => {
    const sub = info.subresource as PodSubresource;
    if (info.group !== '' || info.resource !== 'pods' || !info.name || !info.namespace || !subresources.has(sub)) throw notFoundPath();
    const url = new URL(req.url ?? '/', 'https://skiff');
    const pod = await getPod(info.namespace, info.name);

    if (sub === 'log') {
      if (!res) throw badRequest('Upgrade request required');
      const container = resolveContainer(pod, url.searchParams.get('container') ?? '', sub);
      if (!pod.spec?.nodeName) {
        // LogLocation returns no location for an unscheduled pod: an empty log
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end();
        return;
      }
      const node = await getNode(pod.spec.nodeName);
      await proxyPlain(req, res, { ...kubeletEndpoint(node), path: kubeletPath(pod, sub, container, url.searchParams) }, opts);
      return;
    }

    const container = sub === 'portforward' ? '' : resolveContainer(pod, url.searchParams.get('container') ?? '', sub);
    const node = await getNode(assignedNode(pod));
    const location = { ...kubeletEndpoint(node), path: kubeletPath(pod, sub, container, url.searchParams) };
    if (!upgrade) throw badRequest('Upgrade request required');
    opts.log?.(`${sub} ${info.namespace}/${info.name} → ${location.host}:${location.port}${location.path.split('?')[0]}`);
    await proxyUpgrade(req, upgrade.socket, upgrade.head, location, opts);
  };
}
