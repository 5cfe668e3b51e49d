/**
 * The image catalog: what an image reference runs as on this host. skiff pulls no images; a container's
 * image names a built-in (the echo app, the host's shell tools, the host's nginx) or a user mapping
 * from `<dataDir>/images.yaml`. Anything else is an error the pod worker reports as ErrImagePull.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { compilePattern, matchCandidates, parseImageReference, type ImageReference } from './reference.js';
import { findNginx } from './nginx.js';

export interface ImageSpec {
  /** The image's ENTRYPOINT (replaced by a container's `command`). */
  entrypoint: string[];
  /** The image's CMD (replaced by a container's `args`). */
  cmd: string[];
  /** Image env; the container's env overrides it. */
  env?: Record<string, string>;
  workingDir?: string;
  /** For containerStatuses[].imageID: `docker.io/library/nginx@sha256:…` (a hash of this mapping). */
  imageID?: string;
  /** Which rule matched: `builtin:echo`, `builtin:toolbox`, `builtin:nginx`, `builtin:nginx-fallback`, `user:<match>`. */
  source?: string;
}

export type ImageResolution = ImageSpec | { error: string };

export interface UserImageMapping {
  match: string;
  command: string[];
  args?: string[];
  env?: Record<string, string>;
  workingDir?: string;
}

export interface ImageCatalogOptions {
  /** Directory holding `images.yaml`; no user mappings when omitted. */
  dataDir?: string;
  /** The host nginx binary; found on PATH and the usual places when omitted, `null` to pretend none. */
  nginxPath?: string | null;
  /** Node binary for the built-in JS images (the running node by default). */
  nodePath?: string;
}

const STANDARD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Sample apps from tutorials: each answers HTTP with a page about itself, which the echo app does too. */
const ECHO_IMAGES = [
  'skiff/echo',
  'jinhokwon/spring-boot-rest-first',
  'gcr.io/google-samples/hello-app',
  'us-docker.pkg.dev/google-samples/containers/gke/hello-app',
  'registry.k8s.io/echoserver',
  'k8s.gcr.io/echoserver',
  'gcr.io/google_containers/echoserver',
  'ealen/echo-server',
  'jmalloc/echo-server',
  'kicbase/echo-server',
  'paulbouwer/hello-kubernetes',
  'nginxdemos/hello',
];

/** Distribution images whose CMD is a shell: they run the host's shell and tools. */
const SHELL_IMAGES: Record<string, string> = {
  busybox: 'sh',
  alpine: '/bin/sh',
  centos: '/bin/bash',
  ubuntu: '/bin/bash',
  debian: 'bash',
  fedora: '/bin/bash',
  rockylinux: '/bin/bash',
  almalinux: '/bin/bash',
  amazonlinux: '/bin/bash',
  'radial/busyboxplus': '/bin/sh',
  'nicolaka/netshoot': 'zsh',
};

export class ImageCatalog {
  private readonly dataDir: string | undefined;
  private readonly nginxPath: string | undefined;
  private readonly nodePath: string;
  private cachedMappings: { mtimeMs: number; mappings: UserImageMapping[]; error?: string } | undefined;

  constructor(opts: ImageCatalogOptions = {}) {
    this.dataDir = opts.dataDir;
    this.nginxPath = opts.nginxPath === null ? undefined : (opts.nginxPath ?? findNginx());
    this.nodePath = opts.nodePath ?? process.execPath;
  }

  get mappingsFile(): string | undefined {
    return this.dataDir ? path.join(this.dataDir, 'images.yaml') : undefined;
  }

  resolve(image: string): ImageResolution {
    if (!image || !image.trim()) return { error: 'image name is empty' };
    const ref = parseImageReference(image);
    const candidates = matchCandidates(ref);
    const { mappings, error: mappingsError } = this.userMappings();
    for (const m of mappings) {
      if (candidates.some((c) => compilePattern(m.match).test(c))) {
        return this.finish(ref, `user:${m.match}`, {
          entrypoint: m.command,
          cmd: m.args ?? [],
          ...(m.env ? { env: m.env } : {}),
          ...(m.workingDir ? { workingDir: m.workingDir } : {}),
        });
      }
    }
    const builtin = this.builtin(ref);
    if (builtin) return builtin;
    return { error: this.missingMessage(ref, mappingsError) };
  }

  private builtin(ref: ImageReference): ImageSpec | undefined {
    const name = ref.familiarName;
    if (ECHO_IMAGES.includes(name)) return this.finish(ref, 'builtin:echo', this.echoSpec({}));
    // skiff's own add-ons as pods (netns mode): cluster DNS and the ingress controller, programs of src/cli/addons
    if (name === 'skiff/dns' || name === 'skiff/ingress') {
      const program = name === 'skiff/dns' ? 'dns-pod' : 'ingress-pod';
      return this.finish(ref, `builtin:${program}`, { entrypoint: [this.nodePath, ...this.scriptArgs(program, ['..', '..', 'cli', 'addons'])], cmd: [] });
    }
    const shell = SHELL_IMAGES[name];
    if (shell) return this.finish(ref, 'builtin:toolbox', { entrypoint: [], cmd: [shell], env: { PATH: STANDARD_PATH } });
    if (name === 'curlimages/curl') {
      // Like the image's entrypoint.sh: arguments that start with "-" are curl's.
      const script = 'case "$1" in -*) exec curl "$@";; esac; exec "$@"';
      return this.finish(ref, 'builtin:toolbox', { entrypoint: ['/bin/sh', '-c', script, 'entrypoint'], cmd: ['curl'], env: { PATH: STANDARD_PATH } });
    }
    if (name === 'nginx' || name === 'nginxinc/nginx-unprivileged' || name === 'bitnami/nginx') {
      if (!this.nginxPath) {
        // No nginx on this host: the echo app serves nginx's welcome page, so the many tutorials that run
        // nginx behind a Service still work; describe/`source` says it is a stand-in.
        return this.finish(ref, 'builtin:nginx-fallback', this.echoSpec({ SKIFF_ECHO_MODE: 'nginx-welcome', SKIFF_DEFAULT_PORTS: '80' }));
      }
      const prepare = `${shellQuote(this.nodePath)} ${this.scriptArgs('nginx').map(shellQuote).join(' ')} prepare`;
      const script =
        `set -e; conf=$(${prepare}); fifo="$(dirname "$conf")/access.log"; rm -f "$fifo"; mkfifo "$fifo"; cat "$fifo" & ` +
        `if [ "$1" = nginx ]; then shift; exec ${shellQuote(this.nginxPath)} -e stderr -c "$conf" "$@"; fi; exec "$@"`;
      return this.finish(ref, 'builtin:nginx', {
        entrypoint: ['/bin/sh', '-c', script, 'docker-entrypoint.sh'],
        cmd: ['nginx', '-g', 'daemon off;'],
        env: { PATH: STANDARD_PATH },
      });
    }
    return undefined;
  }

  private echoSpec(env: Record<string, string>): ImageSpec {
    return { entrypoint: [this.nodePath, ...this.scriptArgs('echo-server')], cmd: [], env };
  }

  /** Node args that run one of our image programs: the compiled .js, or the .ts via tsx under tests. */
  private scriptArgs(name: string, dir: string[] = []): string[] {
    const here = fileURLToPath(import.meta.url);
    const ext = path.extname(here);
    const script = path.join(path.dirname(here), ...dir, `${name}${ext}`);
    if (ext !== '.ts') return [script];
    return ['--import', import.meta.resolve('tsx'), script];
  }

  private finish(ref: ImageReference, source: string, spec: ImageSpec): ImageSpec {
    const digest = createHash('sha256').update(JSON.stringify([source, spec.entrypoint, spec.cmd])).digest('hex');
    return { ...spec, source, imageID: `${ref.registry}/${ref.repository}@sha256:${digest}` };
  }

  private missingMessage(ref: ImageReference, mappingsError: string | undefined): string {
    const file = this.mappingsFile ?? '<data-dir>/images.yaml';
    const example = `- match: "${ref.familiarName}*"\n  command: ["/path/to/program"]\n  args: ["--port", "$(PORT)"]`;
    return (
      `image "${ref.original}" is not in skiff's image catalog (skiff runs containers as host processes and pulls no images)` +
      (mappingsError ? `; ${mappingsError}` : '') +
      `; map it to a host command in ${file}, for example:\n${example}`
    );
  }

  /** Reads images.yaml when it changed; a broken file yields no mappings and an error to report. */
  private userMappings(): { mappings: UserImageMapping[]; error?: string } {
    const file = this.mappingsFile;
    if (!file) return { mappings: [] };
    let mtimeMs: number;
    try {
      mtimeMs = fs.statSync(file).mtimeMs;
    } catch {
      return { mappings: [] };
    }
    if (this.cachedMappings?.mtimeMs === mtimeMs) return this.cachedMappings;
    let result: { mappings: UserImageMapping[]; error?: string };
    try {
      result = { mappings: validateMappings(parseYaml(fs.readFileSync(file, 'utf8'))) };
    } catch (err) {
      result = { mappings: [], error: `${file} is invalid: ${err instanceof Error ? err.message : String(err)}` };
    }
    this.cachedMappings = { mtimeMs, ...result };
    return result;
  }
}

function validateMappings(doc: unknown): UserImageMapping[] {
  if (doc === null || doc === undefined) return [];
  const list = Array.isArray(doc) ? doc : (doc as { images?: unknown }).images;
  if (!Array.isArray(list)) throw new Error('expected a list of {match, command, args?}');
  return list.map((item: unknown, i) => {
    const m = item as Partial<UserImageMapping>;
    const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
    if (!m || typeof m.match !== 'string' || m.match === '') throw new Error(`entry ${i}: "match" must be a non-empty string`);
    if (!isStrings(m.command) || m.command.length === 0) throw new Error(`entry ${i}: "command" must be a non-empty list of strings`);
    if (m.args !== undefined && !isStrings(m.args)) throw new Error(`entry ${i}: "args" must be a list of strings`);
    compilePattern(m.match);
    return m as UserImageMapping;
  });
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
