/**
 * Which containers use which image, on disk so `skiff image rm` in another process sees them: one file
 * per container (`<pod uid>_<container>`) holding the image ID and the agent's pid. A lease of an agent
 * that is gone counts for nothing (its containers went with it, or are adopted and lease again).
 */
import fs from 'node:fs';
import path from 'node:path';
import { alive } from './lock.js';
import { writeAtomic } from './layout.js';

interface Lease {
  imageId: string;
  pid: number;
  container: string;
}

export class ImageLeases {
  constructor(private readonly dir: string) {}

  acquire(holder: string, o: { imageId: string; container: string }): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const lease: Lease = { imageId: o.imageId, pid: process.pid, container: o.container };
    writeAtomic(this.file(holder), JSON.stringify(lease), 0o600);
  }

  release(holder: string): void {
    fs.rmSync(this.file(holder), { force: true });
  }

  /** The containers (as `namespace/pod/container`) of live agents that hold a lease on `imageId`. */
  users(imageId: string): string[] {
    return this.live().filter((l) => l.imageId === imageId).map((l) => l.container);
  }

  /** Image IDs some live container holds. */
  imageIds(): Set<string> {
    return new Set(this.live().map((l) => l.imageId));
  }

  private live(): Lease[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: Lease[] = [];
    for (const n of names) {
      if (!n.endsWith('.json')) continue;
      try {
        const l = JSON.parse(fs.readFileSync(path.join(this.dir, n), 'utf8')) as Lease;
        if (alive(l.pid)) out.push(l);
      } catch {
        /* removed meanwhile, or a torn write of a crashed agent */
      }
    }
    return out;
  }

  private file(holder: string): string {
    return path.join(this.dir, `${holder.replace(/[^\w.-]/g, '_')}.json`);
  }
}
