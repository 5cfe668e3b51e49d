/**
 * The image store on disk is an OCI image layout (image-spec image-layout.md) that skopeo writes blobs
 * into (`--dest-shared-blob-dir`) and umoci unpacks from: `blobs/sha256/<hex>`, `oci-layout`, and an
 * `index.json` whose manifests carry the normalized reference as `org.opencontainers.image.ref.name`.
 * index.json is only ever replaced by rename, so readers without the lock see a whole file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export const REF_NAME = 'org.opencontainers.image.ref.name';
/** containerd's annotation for the full image name in an OCI archive (`ctr images export`). */
export const CONTAINERD_NAME = 'io.containerd.image.name';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  manifests: Descriptor[];
}

export interface ImageManifest {
  config: Descriptor;
  layers: Descriptor[];
}

export function readIndex(dir: string): ImageIndex {
  try {
    const doc = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as Partial<ImageIndex>;
    return { schemaVersion: 2, manifests: Array.isArray(doc.manifests) ? doc.manifests : [] };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { schemaVersion: 2, manifests: [] };
    throw err;
  }
}

/** Creates the layout files if missing. */
export function initLayout(dir: string): void {
  fs.mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  const marker = path.join(dir, 'oci-layout');
  if (!fs.existsSync(marker)) writeAtomic(marker, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  if (!fs.existsSync(path.join(dir, 'index.json'))) writeIndex(dir, { schemaVersion: 2, manifests: [] });
}

export function writeIndex(dir: string, index: ImageIndex): void {
  writeAtomic(path.join(dir, 'index.json'), JSON.stringify(index));
}

export function writeAtomic(file: string, content: string, mode = 0o644): void {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, content, { mode });
  fs.renameSync(tmp, file);
}

export function blobPath(dir: string, digest: string): string {
  const [alg, hex] = digest.split(':');
  if (alg !== 'sha256' || !/^[0-9a-f]{64}$/.test(hex ?? '')) throw new Error(`unsupported digest "${digest}"`);
  return path.join(dir, 'blobs', 'sha256', hex!);
}

export function readJSONBlob<T>(dir: string, digest: string): T {
  return JSON.parse(fs.readFileSync(blobPath(dir, digest), 'utf8')) as T;
}

/** Every blob a manifest needs (itself, its config, its layers). */
export function manifestBlobs(dir: string, manifestDigest: string): string[] {
  const m = readJSONBlob<ImageManifest>(dir, manifestDigest);
  return [manifestDigest, m.config.digest, ...m.layers.map((l) => l.digest)];
}
