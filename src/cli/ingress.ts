import type { InformerFactory } from '../client/informer-factory.js';
import type { RestClient } from '../client/rest.js';
import { IngressController } from '../ingress/controller.js';
import { fallbackCertificate, startListeners, type ListenOptions } from '../ingress/listeners.js';
import { IngressProxy } from '../ingress/proxy.js';
import { errorMessage } from '../util/errors.js';
import { loadOrCreateKeyPair } from '../util/pki.js';

export interface StartIngressOptions {
  client: RestClient;
  /** Host address and ports (0 = free port) of the HTTP and HTTPS listeners. */
  listen: ListenOptions;
  /** The address Ingresses report before the LoadBalancer pool assigns one (default: listen.host). */
  nodeIP?: string;
  /** Where the fallback certificate is kept across restarts. */
  certDir?: string;
  /** The process's shared informers (`skiff server`); the controller makes its own without. */
  informers?: InformerFactory;
  log?: (message: string) => void;
}

export interface RunningIngress {
  host: string;
  httpPort: number;
  httpsPort: number;
  controller: IngressController;
  /** The data path (its onRequest hook feeds the web view). */
  proxy: IngressProxy;
  stop(): Promise<void>;
}

/** Starts the built-in ingress controller: listeners first, then the controller that feeds them. */
export async function startIngressController(opts: StartIngressOptions): Promise<RunningIngress> {
  const log = opts.log ?? ((m: string) => console.error(m));
  let controller: IngressController | undefined;
  const proxy = new IngressProxy({ table: () => controller!.currentTable(), log });
  const fallback = opts.certDir ? await loadOrCreateKeyPair({ dir: opts.certDir, name: 'ingress-fallback', create: fallbackCertificate }) : await fallbackCertificate();
  const listeners = await startListeners({ listen: opts.listen, proxy, tls: () => controller!.currentTls(), fallback });
  controller = new IngressController({
    client: opts.client,
    listen: { host: listeners.host, httpPort: listeners.httpPort, httpsPort: listeners.httpsPort },
    nodeIP: opts.nodeIP ?? listeners.host,
    factory: opts.informers,
    log,
  });
  const abort = new AbortController();
  const running = controller.run(abort.signal).catch((err) => log(`ingress controller stopped: ${errorMessage(err)}`));
  log(`ingress: listening on ${listeners.host}:${listeners.httpPort} (http) and ${listeners.host}:${listeners.httpsPort} (https)`);
  return {
    host: listeners.host,
    httpPort: listeners.httpPort,
    httpsPort: listeners.httpsPort,
    controller,
    proxy,
    async stop() {
      abort.abort();
      await listeners.close();
      await running;
    },
  };
}
