/**
 * ControllerExpectations (pkg/controller/controller_utils.go): a controller that asked for N creates
 * or deletions waits until its informer has seen them before acting on the same key again, so it
 * never double-creates while its cache catches up. Deletions are tracked by pod key (UIDTrackingExpectations).
 */
import type { Clock } from '../../util/clock.js';

/** Expectations older than this are considered satisfied (kube: 5 minutes). */
export const expectationsTimeoutMs = 5 * 60 * 1000;

interface Expectation {
  add: number;
  deletes: Set<string>;
  at: number;
}

export class ControllerExpectations {
  private readonly items = new Map<string, Expectation>();

  constructor(private readonly clock: Clock) {}

  satisfied(key: string): boolean {
    const e = this.items.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.deletes.size === 0) return true;
    return this.clock.now() - e.at > expectationsTimeoutMs;
  }

  expectCreations(key: string, n: number): void {
    this.items.set(key, { add: n, deletes: new Set(), at: this.clock.now() });
  }

  expectDeletions(key: string, podKeys: string[]): void {
    this.items.set(key, { add: 0, deletes: new Set(podKeys), at: this.clock.now() });
  }

  /** Both at once (the DaemonSet controller creates and deletes in one sync). */
  expect(key: string, creations: number, podKeys: string[]): void {
    this.items.set(key, { add: creations, deletes: new Set(podKeys), at: this.clock.now() });
  }

  creationObserved(key: string): void {
    const e = this.items.get(key);
    if (e) e.add--;
  }

  deletionObserved(key: string, podKey: string): void {
    this.items.get(key)?.deletes.delete(podKey);
  }

  delete(key: string): void {
    this.items.delete(key);
  }
}
