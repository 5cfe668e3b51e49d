/**
 * What a learner does from the page: scale a Deployment, delete a pod, send N requests to a Service
 * (from the machine, or with a pod's IP as the source address so the view shows that pod as the client).
 */
import { request } from 'node:http';
import type { RestClient } from '../client/rest.js';
import { isLoopback, parseIP } from '../util/net.js';
import { viewResources } from './model.js';

const deploymentScale = { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true };

export class ActionError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const nameRe = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
function checkName(what: string, v: unknown): string {
  if (typeof v !== 'string' || !nameRe.test(v)) throw new ActionError(400, `${what}: invalid name "${String(v)}"`);
  return v;
}

export async function scaleDeployment(client: RestClient, body: { namespace?: unknown; name?: unknown; replicas?: unknown }): Promise<{ replicas: number }> {
  const namespace = checkName('namespace', body.namespace);
  const name = checkName('name', body.name);
  const replicas = body.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0 || replicas > 100) throw new ActionError(400, 'replicas: must be an integer from 0 to 100');
  await client.patch(deploymentScale, { namespace, name, subresource: 'scale', type: 'merge', patch: { spec: { replicas } }, fieldManager: 'skiff-ui' });
  return { replicas };
}

export async function deletePod(client: RestClient, body: { namespace?: unknown; name?: unknown }): Promise<{ deleted: string }> {
  const namespace = checkName('namespace', body.namespace);
  const name = checkName('name', body.name);
  await client.delete(viewResources.pods, { namespace, name });
  return { deleted: `${namespace}/${name}` };
}

export interface SendResult {
  sent: number;
  ok: number;
  failed: number;
  byStatus: Record<string, number>;
  ms: number;
}

/** N HTTP GETs, each on a new connection (so each one is scheduled), at most 8 at a time. */
export async function sendRequests(o: { ip: string; port: number; count: number; sourceIP?: string; path?: string }): Promise<SendResult> {
  const target = parseIP(o.ip);
  if (!target || !isLoopback(target)) throw new ActionError(400, `${o.ip}: only loopback Service addresses can be reached from the machine (in netns mode, send from a pod)`);
  if (o.sourceIP !== undefined) {
    const src = parseIP(o.sourceIP);
    if (!src || !isLoopback(src)) throw new ActionError(400, `${o.sourceIP}: the pod's IP is not a loopback address`);
  }
  if (!Number.isInteger(o.count) || o.count < 1 || o.count > 10_000) throw new ActionError(400, 'count: must be an integer from 1 to 10000');
  const started = Date.now();
  const res: SendResult = { sent: 0, ok: 0, failed: 0, byStatus: {}, ms: 0 };
  const one = () =>
    new Promise<void>((settle) => {
      res.sent++;
      let settled = false;
      const resolve = () => {
        if (!settled) settle();
        settled = true;
      };
      const req = request({ host: o.ip, port: o.port, path: o.path ?? '/', agent: false, localAddress: o.sourceIP, timeout: 5000, headers: { 'user-agent': 'skiff-ui' } }, (r) => {
        const k = String(r.statusCode ?? 0);
        res.byStatus[k] = (res.byStatus[k] ?? 0) + 1;
        r.resume();
        r.on('end', () => {
          if (!settled) res.ok++;
          resolve();
        });
        r.on('error', () => {
          if (!settled) res.failed++;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => {
        if (settled) return;
        res.failed++;
        res.byStatus[(err as NodeJS.ErrnoException).code ?? 'error'] = (res.byStatus[(err as NodeJS.ErrnoException).code ?? 'error'] ?? 0) + 1;
        resolve();
      });
      req.end();
    });
  let next = 0;
  const worker = async () => {
    while (next < o.count) {
      next++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, o.count) }, worker));
  res.ms = Date.now() - started;
  return res;
}
