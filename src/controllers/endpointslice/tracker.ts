/**
 * endpointSliceTracker (pkg/controller/endpointslice): what this controller last wrote per Service, so a
 * reconcile from the informer cache can tell when the cache has not caught up with its own writes yet
 * (it then waits for the events instead of creating a slice twice).
 */
export class SliceTracker {
  /** service key → slice name → resourceVersion written, or 'deleted' */
  private readonly written = new Map<string, Map<string, number | 'deleted'>>();

  wrote(service: string, slice: string, resourceVersion: string | undefined): void {
    this.entries(service).set(slice, Number(resourceVersion ?? 0));
  }

  deleted(service: string, slice: string): void {
    this.entries(service).set(slice, 'deleted');
  }

  /** True when the cached slices lag behind a write; expectations the cache has met are forgotten. */
  stale(service: string, cached: ReadonlyArray<{ metadata: { name?: string; resourceVersion?: string } }>): boolean {
    const mine = this.written.get(service);
    if (!mine) return false;
    const byName = new Map(cached.map((s) => [s.metadata.name ?? '', Number(s.metadata.resourceVersion ?? 0)]));
    let stale = false;
    for (const [name, want] of mine) {
      const have = byName.get(name);
      const met = want === 'deleted' ? have === undefined : have !== undefined && have >= want;
      if (met) mine.delete(name);
      else stale = true;
    }
    if (!mine.size) this.written.delete(service);
    return stale;
  }

  /** A slice deletion the informer saw: whatever this controller expected of it is moot. */
  observedDeletion(service: string, slice: string): void {
    const mine = this.written.get(service);
    mine?.delete(slice);
    if (mine && !mine.size) this.written.delete(service);
  }

  forget(service: string): void {
    this.written.delete(service);
  }

  private entries(service: string): Map<string, number | 'deleted'> {
    let m = this.written.get(service);
    if (!m) this.written.set(service, (m = new Map()));
    return m;
  }
}
