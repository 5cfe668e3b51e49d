/**
 * "Pulling" images through the catalog, with kubelet's image events and pull back-off
 * (pkg/kubelet/images/image_manager.go): ErrImagePull on a failed pull, ImagePullBackOff while the
 * back-off runs, `Pulled` with "already present on machine" for an image this node has resolved.
 */
import type { Container } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../../util/clock.js';
import type { ImageCatalog, ImageSpec } from '../images/catalog.js';
import { RestartBackoff } from '../runtime/backoff.js';

export type PullResult =
  | { ok: true; spec: ImageSpec }
  | { ok: false; reason: 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull'; message: string; retryAfterMs: number };

export interface ImageEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export class ImagePuller {
  private readonly present = new Set<string>();
  private readonly backoff: RestartBackoff;
  private readonly lastFailure = new Map<string, number>();

  constructor(private readonly opts: { catalog: ImageCatalog; clock: Clock; initialBackoffMs?: number }) {
    this.backoff = new RestartBackoff({ clock: opts.clock, initialMs: opts.initialBackoffMs ?? 10_000 });
  }

  /** Resolves the container's image; `key` identifies the pod+container for the back-off. */
  pull(container: Container, key: string, emit: (e: ImageEvent) => void): PullResult {
    const image = container.image ?? '';
    const now = this.opts.clock.now();
    const policy = container.imagePullPolicy ?? (image.endsWith(':latest') || !/:[^/]+$/.test(image.split('@')[0]!) ? 'Always' : 'IfNotPresent');
    const failedAt = this.lastFailure.get(key);
    if (failedAt !== undefined && this.backoff.isInBackOffSince(key, failedAt)) {
      const message = `Back-off pulling image "${image}"`;
      emit({ type: 'Normal', reason: 'BackOff', message });
      emit({ type: 'Warning', reason: 'Failed', message: 'Error: ImagePullBackOff' });
      return { ok: false, reason: 'ImagePullBackOff', message, retryAfterMs: this.backoff.remaining(key, failedAt) };
    }
    const resolved = this.opts.catalog.resolve(image);
    if (policy !== 'Always' && this.present.has(image) && !('error' in resolved)) {
      emit({ type: 'Normal', reason: 'Pulled', message: `Container image "${image}" already present on machine` });
      return { ok: true, spec: resolved };
    }
    if (policy === 'Never') {
      const message = `Container image "${image}" is not present with pull policy of Never`;
      emit({ type: 'Warning', reason: 'ErrImageNeverPull', message });
      return { ok: false, reason: 'ErrImageNeverPull', message, retryAfterMs: 10_000 };
    }
    emit({ type: 'Normal', reason: 'Pulling', message: `Pulling image "${image}"` });
    if ('error' in resolved) {
      this.backoff.next(key, now);
      this.lastFailure.set(key, now);
      emit({ type: 'Warning', reason: 'Failed', message: `Failed to pull image "${image}": ${resolved.error}` });
      emit({ type: 'Warning', reason: 'Failed', message: 'Error: ErrImagePull' });
      // kubelet's next sync shows ImagePullBackOff; retry the pull when the back-off ends
      return { ok: false, reason: 'ErrImagePull', message: resolved.error, retryAfterMs: 1000 };
    }
    this.backoff.reset(key);
    this.lastFailure.delete(key);
    this.present.add(image);
    const took = Math.max(0, this.opts.clock.now() - now);
    const d = took < 1000 ? `${took}ms` : `${(took / 1000).toFixed(3)}s`;
    emit({ type: 'Normal', reason: 'Pulled', message: `Successfully pulled image "${image}" in ${d} (${d} including waiting). Image size: 0 bytes.` });
    return { ok: true, spec: resolved };
  }

  forget(key: string): void {
    this.backoff.reset(key);
    this.lastFailure.delete(key);
  }
}
