/**
 * Image pulls with kubelet's events and pull back-off (pkg/kubelet/images/image_manager.go):
 * ErrImagePull on a failed pull, ImagePullBackOff while the back-off runs, `Pulled` with "already
 * present on machine" for an image this node has. With an OCI ImageService an image resolves to the
 * image in the store (`oci`), else to the built-in catalog (`process`: skiff/*, host programs), else
 * to a registry pull into the store (`oci`). imagePullPolicy Always re-pulls a stored image from its
 * registry, as containerd does (an imported image whose registry cannot be reached then fails).
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../../util/clock.js';
import type { ImageCatalog, ImageSpec } from '../images/catalog.js';
import type { ImageService, OciImage, RegistryAuth } from '../runtime/cri.js';
import { parseImageReference } from '../images/reference.js';
import { insecureRegistry } from '../images/oci/pull-secrets.js';
import { RestartBackoff } from '../runtime/backoff.js';

export type ResolvedImage = { kind: 'process'; spec: ImageSpec; imageID: string } | { kind: 'oci'; image: OciImage; imageID: string };

export type PullResult =
  | { ok: true; resolved: ResolvedImage }
  | { ok: false; reason: 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull'; message: string; retryAfterMs: number };

export interface ImageEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface PullRequest {
  container: Container;
  /** The pod (for its pull secrets). */
  pod: Pod;
  /** Identifies the pod+container for the back-off. */
  key: string;
  emit: (e: ImageEvent) => void;
  /** Taking over a running container: the image it runs is used as stored, never re-pulled. */
  adopting?: boolean;
}

export interface ImagePullerOptions {
  catalog: ImageCatalog;
  clock: Clock;
  initialBackoffMs?: number;
  /** The node's OCI image store, when it runs OCI images. */
  oci?: ImageService;
  /** Credentials of the pod's imagePullSecrets (and its ServiceAccount's) for a registry, best first. */
  credentials?: (pod: Pod, registry: string) => Promise<RegistryAuth[]>;
}

export class ImagePuller {
  private readonly present = new Set<string>();
  private readonly backoff: RestartBackoff;
  private readonly lastFailure = new Map<string, number>();
  /** One registry pull per image at a time; later pods wait for it. */
  private readonly inflight = new Map<string, Promise<{ image: OciImage; pullMs: number }>>();

  constructor(private readonly opts: ImagePullerOptions) {
    this.backoff = new RestartBackoff({ clock: opts.clock, initialMs: opts.initialBackoffMs ?? 10_000 });
  }

  async pull(req: PullRequest): Promise<PullResult> {
    const { container, key, emit } = req;
    const image = container.image ?? '';
    const policy = req.adopting ? 'IfNotPresent' : (container.imagePullPolicy ?? defaultPolicy(image));
    const failedAt = this.lastFailure.get(key);
    if (failedAt !== undefined && this.backoff.isInBackOffSince(key, failedAt)) {
      const message = `Back-off pulling image "${image}"`;
      emit({ type: 'Normal', reason: 'BackOff', message });
      emit({ type: 'Warning', reason: 'Failed', message: 'Error: ImagePullBackOff' });
      return { ok: false, reason: 'ImagePullBackOff', message, retryAfterMs: this.backoff.remaining(key, failedAt) };
    }
    const oci = this.opts.oci;
    const stored = oci && image.trim() ? await oci.imageStatus(image).catch(() => undefined) : undefined;
    if (stored && policy !== 'Always') {
      emit({ type: 'Normal', reason: 'Pulled', message: `Container image "${image}" already present on machine` });
      return { ok: true, resolved: ociResolved(image, stored) };
    }
    const resolved = this.opts.catalog.resolve(image);
    if (!stored && !('error' in resolved)) return this.fromCatalog(req, policy, resolved);
    if (policy === 'Never') {
      const message = `Container image "${image}" is not present with pull policy of Never`;
      emit({ type: 'Warning', reason: 'ErrImageNeverPull', message });
      return { ok: false, reason: 'ErrImageNeverPull', message, retryAfterMs: 10_000 };
    }
    const start = this.opts.clock.now();
    emit({ type: 'Normal', reason: 'Pulling', message: `Pulling image "${image}"` });
    if (!oci) return this.failed(req, start, 'error' in resolved ? resolved.error : 'no image service');
    try {
      const { image: pulled, pullMs } = await this.pullOnce(oci, req);
      this.succeeded(key, image);
      const total = this.opts.clock.now() - start;
      emit({ type: 'Normal', reason: 'Pulled', message: `Successfully pulled image "${image}" in ${goDuration(pullMs)} (${goDuration(total)} including waiting). Image size: ${pulled.sizeBytes} bytes.` });
      return { ok: true, resolved: ociResolved(image, pulled) };
    } catch (err) {
      return this.failed(req, start, err instanceof Error ? err.message : String(err));
    }
  }

  forget(key: string): void {
    this.backoff.reset(key);
    this.lastFailure.delete(key);
  }

  /** The catalog's images are "pulled" by resolving them (there is nothing to download). */
  private fromCatalog(req: PullRequest, policy: string, spec: ImageSpec): PullResult {
    const image = req.container.image ?? '';
    const resolved: ResolvedImage = { kind: 'process', spec, imageID: spec.imageID ?? '' };
    if (policy !== 'Always' && this.present.has(image)) {
      req.emit({ type: 'Normal', reason: 'Pulled', message: `Container image "${image}" already present on machine` });
      return { ok: true, resolved };
    }
    if (policy === 'Never') {
      const message = `Container image "${image}" is not present with pull policy of Never`;
      req.emit({ type: 'Warning', reason: 'ErrImageNeverPull', message });
      return { ok: false, reason: 'ErrImageNeverPull', message, retryAfterMs: 10_000 };
    }
    const start = this.opts.clock.now();
    req.emit({ type: 'Normal', reason: 'Pulling', message: `Pulling image "${image}"` });
    this.succeeded(req.key, image);
    const d = goDuration(this.opts.clock.now() - start);
    req.emit({ type: 'Normal', reason: 'Pulled', message: `Successfully pulled image "${image}" in ${d} (${d} including waiting). Image size: 0 bytes.` });
    return { ok: true, resolved };
  }

  private async pullOnce(oci: ImageService, req: PullRequest): Promise<{ image: OciImage; pullMs: number }> {
    const image = req.container.image!;
    const ref = parseImageReference(image);
    const creds = (await this.opts.credentials?.(req.pod, ref.registry)) ?? [];
    const flight = `${ref.fullName}\n${JSON.stringify(creds)}`;
    let p = this.inflight.get(flight);
    if (!p) {
      p = (async () => {
        const start = this.opts.clock.now();
        const insecure = insecureRegistry(ref.registry);
        let lastError: unknown;
        // kubelet tries each matching credential in turn; with none, an anonymous pull
        for (const auth of creds.length > 0 ? creds : [undefined]) {
          try {
            const pulled = await oci.pullImage(image, { ...(auth ? { auth } : {}), insecure });
            return { image: pulled, pullMs: this.opts.clock.now() - start };
          } catch (err) {
            lastError = err;
          }
        }
        throw lastError;
      })();
      this.inflight.set(flight, p);
      void p.catch(() => undefined).finally(() => this.inflight.delete(flight));
    }
    return p;
  }

  private succeeded(key: string, image: string): void {
    this.backoff.reset(key);
    this.lastFailure.delete(key);
    this.present.add(image);
  }

  private failed(req: PullRequest, start: number, error: string): PullResult {
    const image = req.container.image ?? '';
    this.backoff.next(req.key, start);
    this.lastFailure.set(req.key, start);
    req.emit({ type: 'Warning', reason: 'Failed', message: `Failed to pull image "${image}": ${error}` });
    req.emit({ type: 'Warning', reason: 'Failed', message: 'Error: ErrImagePull' });
    // kubelet's next sync shows ImagePullBackOff; retry the pull when the back-off ends
    return { ok: false, reason: 'ErrImagePull', message: error, retryAfterMs: 1000 };
  }
}

/** `:latest` or no tag: Always; else IfNotPresent (the API server's defaulting). */
function defaultPolicy(image: string): 'Always' | 'IfNotPresent' {
  const name = image.split('@')[0]!;
  if (image.includes('@')) return 'IfNotPresent';
  return name.endsWith(':latest') || !/:[^/]+$/.test(name) ? 'Always' : 'IfNotPresent';
}

/** containerStatuses[].imageID as containerd reports it: the repo digest `<registry>/<repo>@<manifest digest>`. */
function ociResolved(image: string, stored: OciImage): ResolvedImage {
  const r = parseImageReference(stored.ref || image);
  return { kind: 'oci', image: stored, imageID: `${r.registry}/${r.repository}@${stored.digest}` };
}

/** Go's time.Duration String() of a duration truncated to milliseconds (`512ms`, `1.2s`, `1m3.5s`). */
export function goDuration(ms: number): string {
  const t = Math.max(0, Math.floor(ms));
  if (t === 0) return '0s';
  if (t < 1000) return `${t}ms`;
  const trim = (s: number) => (s / 1000).toFixed(3).replace(/\.?0+$/, '');
  if (t < 60_000) return `${trim(t)}s`;
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor((t % 3_600_000) / 60_000);
  return `${h ? `${h}h` : ''}${m}m${trim(t % 60_000)}s`;
}
