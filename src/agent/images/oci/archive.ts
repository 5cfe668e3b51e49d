/**
 * What an image archive holds, read from the tar without unpacking it: an OCI archive's index.json
 * (names from containerd's `io.containerd.image.name`, else `org.opencontainers.image.ref.name`) or a
 * `docker save` archive's manifest.json (RepoTags), each as the skopeo source that copies that image.
 */
import { runTool } from './tools.js';
import { CONTAINERD_NAME, REF_NAME, type ImageIndex } from './layout.js';
import { parseImageReference } from '../reference.js';

export interface ArchiveImage {
  /** The normalized name it is stored under (`docker.io/library/web:v1`). */
  name: string;
  /** skopeo source transport reference. */
  source: string;
}

export async function archiveImages(file: string): Promise<ArchiveImage[]> {
  const index = await member(file, 'index.json');
  if (index !== undefined) {
    const doc = JSON.parse(index) as Partial<ImageIndex>;
    const out: ArchiveImage[] = [];
    for (const m of doc.manifests ?? []) {
      const refName = m.annotations?.[REF_NAME];
      const name = m.annotations?.[CONTAINERD_NAME] ?? refName;
      if (!name || !refName) continue;
      out.push({ name: parseImageReference(name).fullName, source: `oci-archive:${file}:${refName}` });
    }
    if (out.length === 0) throw new Error(`${file}: the OCI archive names no image (no ${REF_NAME} annotation in index.json)`);
    return out;
  }
  const manifest = await member(file, 'manifest.json');
  if (manifest !== undefined) {
    const entries = JSON.parse(manifest) as Array<{ RepoTags?: string[] | null }>;
    const out = entries.flatMap((e, i) =>
      (e.RepoTags ?? []).map((tag) => ({ name: parseImageReference(tag).fullName, source: `docker-archive:${file}:@${i}` })),
    );
    if (out.length === 0) throw new Error(`${file}: the docker archive has no tagged image (docker save NAME:TAG, not an image ID)`);
    return out;
  }
  throw new Error(`${file}: not an OCI archive (index.json) nor a docker save archive (manifest.json)`);
}

/** A member of the tar as text; undefined if the archive has no such member. */
async function member(file: string, name: string): Promise<string | undefined> {
  try {
    return (await runTool(['tar', '-xOf', file, name])).stdout;
  } catch (err) {
    const msg = (err as Error).message;
    if (/Not found in archive|not found in archive/i.test(msg)) return undefined;
    throw new Error(`${file}: ${msg}`);
  }
}
