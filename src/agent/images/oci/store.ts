/**
 * The node's CRI ImageService: a content-addressed image store under the data dir, shared by every
 * pod of the node's agents and by `skiff image`. Blobs live in an OCI layout (layout.ts) that skopeo
 * copies into; each image config is unpacked once by umoci into `rootfs/<config hex>` (renamed into
 * place when complete, then only read). Changes take the store lock (lock.ts); readers need none.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ImageService, OciImage, OciImageConfig, RegistryAuth } from '../../runtime/cri.js';
import { SkiffError } from '../../../util/errors.js';
import { parseImageReference } from '../reference.js';
import { archiveImages } from './archive.js';
import { ImageLeases } from './leases.js';
import { withStoreLock } from './lock.js';
import { initLayout, manifestBlobs, readIndex, readJSONBlob, REF_NAME, writeIndex, type Descriptor, type ImageManifest } from './layout.js';
import { runTool } from './tools.js';
import { pullEndpoints, type PullEndpoint, type RegistryHosts } from './registries.js';

export interface OciImageStoreOptions {
  /** The store directory (`<data-dir>/agent/images`). */
  root: string;
  /** umoci --rootless (not root: files are owned by the unpacking user). Default: when not uid 0. */
  rootless?: boolean;
  log?: (message: string) => void;
  /** `--private-registry` (registries.yaml) and `--disable-default-registry-endpoint`. */
  registries?: RegistryHosts;
}

/** Where the image store of the nodes under a server's (or agent's) data dir lives. */
export function imageStoreDir(dataDir: string): string {
  return path.join(dataDir, 'agent', 'images');
}

const stores = new Map<string, OciImageStore>();

/** One store object per directory in a process, so in-process agents share its caches and lock chain. */
export function openImageStore(opts: OciImageStoreOptions): OciImageStore {
  const root = path.resolve(opts.root);
  let s = stores.get(root);
  if (!s) stores.set(root, (s = new OciImageStore({ ...opts, root })));
  if (opts.registries) s.registries = opts.registries;
  return s;
}

export class OciImageStore implements ImageService {
  readonly root: string;
  readonly leases: ImageLeases;
  private readonly rootless: boolean;
  private readonly cache = new Map<string, OciImage>();
  registries?: RegistryHosts;

  constructor(private readonly opts: OciImageStoreOptions) {
    this.root = path.resolve(opts.root);
    this.registries = opts.registries;
    this.rootless = opts.rootless ?? process.getuid?.() !== 0;
    this.leases = new ImageLeases(path.join(this.root, 'leases'));
  }

  private get lockFile(): string {
    return path.join(this.root, 'store.lock');
  }

  /**
   * Tries each endpoint of the registry's mirror entry (registries.ts), then the registry itself; `auth`
   * (the pod's imagePullSecrets) wins over registries.yaml for the registry's own host.
   */
  async pullImage(ref: string, opts: { auth?: RegistryAuth; insecure?: boolean } = {}): Promise<OciImage> {
    const r = parseImageReference(ref);
    const endpoints = pullEndpoints(this.registries, r.registry, r.repository);
    if (endpoints.length === 0) throw new Error(`no endpoint to pull "${ref}" from: the mirror of ${r.registry} lists none and the default endpoint is disabled (--disable-default-registry-endpoint)`);
    return this.change(async (tmp) => {
      const suffix = r.digest ? `@${r.digest}` : `:${r.tag ?? 'latest'}`;
      const errors: string[] = [];
      for (const [i, e] of endpoints.entries()) {
        const dir = path.join(tmp, String(i));
        fs.mkdirSync(dir, { mode: 0o700 });
        const args = ['copy', '--quiet', ...this.endpointArgs(e, dir, opts)];
        let layout: string;
        try {
          layout = await this.copyIn(args, `docker://${e.host}/${e.repository}${suffix}`, dir, r.fullName, { CONTAINERS_REGISTRIES_CONF: emptyRegistriesConf(tmp) });
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          if (endpoints.length > 1) this.opts.log?.(`pull ${ref}: endpoint ${e.host} failed: ${message}`);
          errors.push(message);
          continue;
        }
        // the image is the one its reference names, whichever endpoint served it (as containerd stores it)
        return this.register(layout, r.fullName);
      }
      throw new Error(errors.join('; '));
    });
  }

  /** Credentials (in a 0600 authfile in our private temp dir, never on the command line), TLS, certificates. */
  private endpointArgs(e: PullEndpoint, dir: string, opts: { auth?: RegistryAuth; insecure?: boolean }): string[] {
    const args: string[] = [];
    const cred = e.upstream && opts.auth ? { auth: authValue(opts.auth) } : { auth: authValue(e.auth), ...(e.auth?.identitytoken ? { identitytoken: e.auth.identitytoken } : {}) };
    if (cred.auth || 'identitytoken' in cred) {
      const authfile = path.join(dir, 'auth.json');
      fs.writeFileSync(authfile, JSON.stringify({ auths: { [e.host]: cred } }), { mode: 0o600 });
      args.push('--src-authfile', authfile);
    } else {
      args.push('--src-no-creds');
    }
    if (e.insecure || (e.upstream && opts.insecure)) args.push('--src-tls-verify=false');
    if (e.tls) {
      // skopeo's cert dir: *.crt CAs, a *.cert client certificate with its *.key
      const certs = path.join(dir, 'certs');
      fs.mkdirSync(certs, { mode: 0o700 });
      if (e.tls.ca_file) fs.copyFileSync(e.tls.ca_file, path.join(certs, 'ca.crt'));
      if (e.tls.cert_file) fs.copyFileSync(e.tls.cert_file, path.join(certs, 'client.cert'));
      if (e.tls.key_file) fs.copyFileSync(e.tls.key_file, path.join(certs, 'client.key'));
      args.push('--src-cert-dir', certs);
    }
    return args;
  }

  async importArchive(file: string): Promise<OciImage[]> {
    const abs = path.resolve(file);
    if (!fs.existsSync(abs)) throw new SkiffError('NotFound', `open ${abs}: no such file or directory`);
    const images = await archiveImages(abs);
    return this.change(async (tmp) => {
      const out: OciImage[] = [];
      for (const [i, img] of images.entries()) {
        const layout = await this.copyIn(['copy', '--quiet'], img.source, path.join(tmp, String(i)), img.name);
        out.push(await this.register(layout, img.name));
      }
      return out;
    });
  }

  async imageStatus(ref: string): Promise<OciImage | undefined> {
    return (await this.matching(ref))[0];
  }

  async listImages(): Promise<OciImage[]> {
    return readIndex(this.root).manifests.filter((d) => d.annotations?.[REF_NAME]).map((d) => this.image(d));
  }

  /** RemoveImage by reference or image ID; refused while a container of this node's pods uses it. */
  async removeImage(ref: string): Promise<void> {
    await this.change(async () => {
      const found = await this.matching(ref);
      if (found.length === 0) throw new SkiffError('NotFound', `no such image: "${ref}"`);
      const byId = /^(sha256:)?[0-9a-f]{12,64}$/.test(ref);
      for (const img of found) {
        const user = this.leases.users(img.id)[0];
        if (user) throw new SkiffError('Conflict', `conflict: unable to remove repository reference "${ref}" - container ${user} is using its referenced image ${shortId(img.id)}`);
      }
      const names = new Set(found.map((i) => i.ref));
      if (!byId && found.length > 1) throw new SkiffError('Conflict', `"${ref}" matches several images: ${[...names].join(', ')}`);
      const index = readIndex(this.root);
      index.manifests = index.manifests.filter((d) => !names.has(d.annotations?.[REF_NAME] ?? ''));
      writeIndex(this.root, index);
      this.collectGarbage();
    });
  }

  useImage(holder: string, o: { imageId: string; container: string }): void {
    this.leases.acquire(holder, o);
  }

  releaseImage(holder: string): void {
    this.leases.release(holder);
  }

  /** Images whose name, `repo@digest` or image ID (or its 12+ hex prefix) is `ref`. */
  private async matching(ref: string): Promise<OciImage[]> {
    const all = await this.listImages();
    const id = ref.match(/^(?:sha256:)?([0-9a-f]{12,64})$/);
    if (id) {
      const byId = all.filter((i) => i.id.slice('sha256:'.length).startsWith(id[1]!));
      if (byId.length > 0) return byId;
    }
    const r = parseImageReference(ref);
    if (r.digest) return all.filter((i) => i.digest === r.digest && sameRepository(i.ref, r.registry, r.repository));
    return all.filter((i) => i.ref === r.fullName);
  }

  /** Runs `fn` under the store lock with a private temp dir inside the store (same filesystem: renames). */
  private async change<T>(fn: (tmp: string) => Promise<T>): Promise<T> {
    fs.mkdirSync(this.root, { recursive: true, mode: 0o700 });
    return withStoreLock(this.lockFile, async () => {
      initLayout(this.root);
      const base = path.join(this.root, 'tmp');
      fs.mkdirSync(base, { recursive: true, mode: 0o700 });
      const tmp = fs.mkdtempSync(path.join(base, `${process.pid}-`));
      try {
        return await fn(tmp);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });
  }

  /** skopeo copy into a one-image layout whose blobs land in the store's blob dir. */
  private async copyIn(args: string[], source: string, dir: string, name: string, env?: NodeJS.ProcessEnv): Promise<string> {
    const layout = path.join(dir, 'layout');
    fs.mkdirSync(dir, { recursive: true });
    await runTool(['skopeo', ...args, '--dest-shared-blob-dir', path.join(this.root, 'blobs'), source, `oci:${layout}:${name}`], env ? { env: { ...process.env, ...env } } : {});
    return layout;
  }

  /** Adds (or re-points) `name` in the store's index to the manifest skopeo wrote, and unpacks it. */
  private async register(layout: string, name: string): Promise<OciImage> {
    const desc = readIndex(layout).manifests.find((d) => d.annotations?.[REF_NAME] === name);
    if (!desc) throw new Error(`skopeo wrote no manifest for ${name}`);
    const entry: Descriptor = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size, annotations: { [REF_NAME]: name } };
    const index = readIndex(this.root);
    index.manifests = [...index.manifests.filter((d) => d.annotations?.[REF_NAME] !== name), entry];
    writeIndex(this.root, index);
    const img = this.image(entry);
    await this.unpack(img);
    // also takes what an earlier change left to containers that have gone since
    this.collectGarbage();
    return img;
  }

  /** umoci raw unpack of the image's layers, once per image config. */
  private async unpack(img: OciImage): Promise<void> {
    if (fs.existsSync(img.rootfs)) return;
    const dir = fs.mkdtempSync(path.join(this.root, 'tmp', 'unpack-'));
    try {
      const staged = path.join(dir, 'rootfs');
      await runTool(['umoci', 'raw', 'unpack', ...(this.rootless ? ['--rootless'] : []), '--image', `${this.root}:${img.ref}`, staged]);
      fs.mkdirSync(path.dirname(img.rootfs), { recursive: true });
      fs.renameSync(staged, img.rootfs);
      this.opts.log?.(`image ${img.ref}: unpacked ${shortId(img.id)} into ${img.rootfs}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Removes blobs and rootfs dirs no index entry (nor, for a rootfs, a running container) refers to (under the lock). */
  private collectGarbage(): void {
    const index = readIndex(this.root);
    const keep = new Set<string>();
    const configs = new Set<string>();
    for (const d of index.manifests) {
      for (const b of manifestBlobs(this.root, d.digest)) keep.add(b.slice('sha256:'.length));
      configs.add(readJSONBlob<ImageManifest>(this.root, d.digest).config.digest.slice('sha256:'.length));
    }
    const blobs = path.join(this.root, 'blobs', 'sha256');
    for (const hex of fs.readdirSync(blobs)) if (!keep.has(hex)) fs.rmSync(path.join(blobs, hex), { force: true });
    // a re-pulled tag leaves its old rootfs to the containers still running on it (the next collection takes it)
    for (const id of this.leases.imageIds()) configs.add(id.slice('sha256:'.length));
    const rootfs = path.join(this.root, 'rootfs');
    for (const hex of fs.existsSync(rootfs) ? fs.readdirSync(rootfs) : []) {
      if (configs.has(hex)) continue;
      // out of the way first: a reader never sees half a rootfs
      const doomed = path.join(this.root, 'tmp', `rm-${hex}`);
      fs.renameSync(path.join(rootfs, hex), doomed);
      fs.rmSync(doomed, { recursive: true, force: true });
    }
    for (const k of this.cache.keys()) if (!keep.has(k.slice('sha256:'.length))) this.cache.delete(k);
  }

  private image(d: Descriptor): OciImage {
    const ref = d.annotations![REF_NAME]!;
    const key = d.digest;
    let base = this.cache.get(key);
    if (!base) {
      const manifest = readJSONBlob<ImageManifest>(this.root, d.digest);
      const config = readJSONBlob<{ config?: OciImageConfig }>(this.root, manifest.config.digest);
      const sizeBytes = d.size + manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0);
      base = {
        ref,
        id: manifest.config.digest,
        digest: d.digest,
        rootfs: path.join(this.root, 'rootfs', manifest.config.digest.slice('sha256:'.length)),
        config: config.config ?? {},
        sizeBytes,
      };
      this.cache.set(key, base);
    }
    return { ...base, ref };
  }
}

function authValue(auth: RegistryAuth | undefined): string | undefined {
  if (!auth) return undefined;
  if (auth.auth) return auth.auth;
  if (auth.username !== undefined) return Buffer.from(`${auth.username}:${auth.password ?? ''}`).toString('base64');
  return undefined;
}

/** skopeo reads no mirrors or short-name aliases of the machine's /etc/containers/registries.conf: only ours apply. */
function emptyRegistriesConf(tmp: string): string {
  const file = path.join(tmp, 'registries.conf');
  if (!fs.existsSync(file)) fs.writeFileSync(file, '');
  return file;
}

function sameRepository(fullName: string, registry: string, repository: string): boolean {
  const r = parseImageReference(fullName);
  return r.registry === registry && r.repository === repository;
}

/** The 12 hex digits crictl and docker show. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
