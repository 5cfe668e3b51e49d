/**
 * The kubelet's volume manager for one node: before a pod's containers start, every volume of the pod is
 * set up under the pod's directory (`volumes/kubernetes.io~<plugin>/<name>`) or resolved to its host
 * directory (hostPath, a PersistentVolumeClaim's bound local-path PV); configMap/secret/downwardAPI/projected
 * volumes are rewritten in place (AtomicWriter) every resync when their sources change, and service-account
 * tokens are renewed at 80% of their lifetime. `containerMounts` turns volumeMounts into CRI mounts.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ConfigMap, Container, PersistentVolume, PersistentVolumeClaim, Pod, Secret, Volume } from 'kubernetes-types/core/v1.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { writeAtomic } from './atomic-writer.js';
import { checkHostPathType } from './host-path.js';
import { configMapPayload, downwardAPIPayload, projectedPayload, secretPayload, type PayloadResult } from './payload.js';

/** CRI Mount. */
export interface Mount {
  containerPath: string;
  hostPath: string;
  readOnly: boolean;
}

export interface TokenRequestResult {
  token: string;
  /** epoch ms */
  expiresAt: number;
}

export interface VolumeManagerOptions {
  clock: Clock;
  log: (message: string) => void;
  hostIP: string;
  configMap(namespace: string, name: string): ConfigMap | undefined;
  secret(namespace: string, name: string): Secret | undefined;
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
  /** POST serviceaccounts/NAME/token bound to the pod. */
  requestToken(pod: Pod, o: { audience?: string; expirationSeconds: number }): Promise<TokenRequestResult>;
  /** How often sourced volumes are compared with their objects (the kubelet's sync period). */
  resyncMs?: number;
}

export type SetUpResult = { ok: true } | { ok: false; volume: string; message: string };

interface PodVolumes {
  pod: Pod;
  dir: string;
  podIP: string;
  /** volume name → where it lives on the host */
  paths: Map<string, string>;
  tokens: Map<string, TokenRequestResult & { issuedAt: number }>;
}

const sourced = (v: Volume): boolean => !!(v.configMap || v.secret || v.downwardAPI || v.projected);
const plugin = (v: Volume): string =>
  v.emptyDir ? 'empty-dir' : v.configMap ? 'configmap' : v.secret ? 'secret' : v.downwardAPI ? 'downward-api' : v.projected ? 'projected' : 'unknown';

export class VolumeManager {
  private readonly pods = new Map<string, PodVolumes>();
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly opts: VolumeManagerOptions) {}

  /** Sets up (or refreshes) every volume of the pod; the first failing volume is returned. */
  setUp(pod: Pod, podDir: string, podIP: string): Promise<SetUpResult> {
    return this.exclusive(() => this.setUpNow(pod, podDir, podIP));
  }

  private async setUpNow(pod: Pod, podDir: string, podIP: string): Promise<SetUpResult> {
    const uid = pod.metadata!.uid!;
    let pv = this.pods.get(uid);
    if (!pv) {
      pv = { pod, dir: podDir, podIP, paths: new Map(), tokens: new Map() };
      this.pods.set(uid, pv);
    }
    pv.pod = pod;
    pv.podIP = podIP;
    for (const v of pod.spec?.volumes ?? []) {
      let message: string | undefined;
      try {
        message = await this.setUpVolume(pv, v);
      } catch (err) {
        message = err instanceof Error ? err.message : String(err);
      }
      if (message !== undefined) return { ok: false, volume: v.name, message };
    }
    this.scheduleResync();
    return { ok: true };
  }

  /** Where a set-up volume lives on the host. */
  volumePath(uid: string, volume: string): string | undefined {
    return this.pods.get(uid)?.paths.get(volume);
  }

  private async setUpVolume(pv: PodVolumes, v: Volume): Promise<string | undefined> {
    const ns = pv.pod.metadata!.namespace!;
    if (v.hostPath) {
      const msg = checkHostPathType(v.hostPath.path, v.hostPath.type);
      if (msg) return `MountVolume.SetUp failed for volume "${v.name}" : ${msg}`;
      pv.paths.set(v.name, v.hostPath.path);
      return undefined;
    }
    if (v.persistentVolumeClaim) {
      const claimName = v.persistentVolumeClaim.claimName;
      const claim = this.opts.claim(ns, claimName);
      if (!claim) return `error processing PVC ${ns}/${claimName}: failed to fetch PVC from API server: persistentvolumeclaims "${claimName}" not found`;
      if (claim.status?.phase !== 'Bound' || !claim.spec?.volumeName) return `error processing PVC ${ns}/${claimName}: PVC is not bound`;
      const vol = this.opts.volume(claim.spec.volumeName);
      const dir = vol?.spec?.hostPath?.path ?? vol?.spec?.local?.path;
      if (!dir) return `MountVolume.SetUp failed for volume "${claim.spec.volumeName}" : persistentvolume "${claim.spec.volumeName}" has no local path`;
      fs.mkdirSync(dir, { recursive: true, mode: 0o777 });
      pv.paths.set(v.name, dir);
      return undefined;
    }
    const dir = path.join(pv.dir, 'volumes', `kubernetes.io~${plugin(v)}`, v.name);
    if (v.emptyDir) {
      if (!fs.existsSync(dir)) {
        fs.mkdirSync(dir, { recursive: true });
        fs.chmodSync(dir, 0o777);
      }
      pv.paths.set(v.name, dir);
      return undefined;
    }
    if (!sourced(v)) return `MountVolume.SetUp failed for volume "${v.name}" : volume type not supported by skiff`;
    await this.ensureTokens(pv, v);
    const r = this.payload(pv, v);
    if ('error' in r) return `MountVolume.SetUp failed for volume "${v.name}" : ${r.error}`;
    writeAtomic(dir, r.payload, new Date(this.opts.clock.now()));
    pv.paths.set(v.name, dir);
    return undefined;
  }

  private payload(pv: PodVolumes, v: Volume): PayloadResult {
    const ns = pv.pod.metadata!.namespace!;
    const ips = { podIP: pv.podIP, hostIP: this.opts.hostIP };
    if (v.configMap) return configMapPayload(v.configMap, this.opts.configMap(ns, v.configMap.name ?? ''));
    if (v.secret) return secretPayload(v.secret, this.opts.secret(ns, v.secret.secretName ?? ''));
    if (v.downwardAPI) return downwardAPIPayload(v.downwardAPI.items, v.downwardAPI.defaultMode, pv.pod, ips);
    return projectedPayload(v.projected!, pv.pod, {
      configMap: (n) => this.opts.configMap(ns, n),
      secret: (n) => this.opts.secret(ns, n),
      ...ips,
      token: (aud, exp) => pv.tokens.get(`${aud ?? ''}|${exp}`)?.token,
    });
  }

  /** Fetches the projected tokens that are missing or past 80% of their lifetime (the kubelet's rule). */
  private async ensureTokens(pv: PodVolumes, v: Volume): Promise<void> {
    for (const s of v.projected?.sources ?? []) {
      const t = s.serviceAccountToken;
      if (!t) continue;
      const exp = t.expirationSeconds ?? 3600;
      const key = `${t.audience ?? ''}|${exp}`;
      const have = pv.tokens.get(key);
      const now = this.opts.clock.now();
      if (have && now < have.issuedAt + 0.8 * (have.expiresAt - have.issuedAt)) continue;
      try {
        const got = await this.opts.requestToken(pv.pod, { ...(t.audience ? { audience: t.audience } : {}), expirationSeconds: exp });
        pv.tokens.set(key, { ...got, issuedAt: now });
      } catch (err) {
        // an old token still valid keeps serving; none at all fails the mount
        this.opts.log(`pod ${pv.pod.metadata!.namespace}/${pv.pod.metadata!.name}: token request failed: ${(err as Error).message}`);
        if (!have) throw new Error(`MountVolume.SetUp failed for volume "${v.name}" : failed to fetch token: ${(err as Error).message}`);
      }
    }
  }

  /**
   * The container's volumeMounts as CRI mounts: subPath resolved inside the volume (created when absent),
   * configMap/secret/downwardAPI/projected always read-only, as the kubelet mounts them.
   */
  containerMounts(uid: string, c: Container): { mounts: Mount[] } | { error: string } {
    const pv = this.pods.get(uid);
    const mounts: Mount[] = [];
    for (const m of c.volumeMounts ?? []) {
      const v = pv?.pod.spec?.volumes?.find((x) => x.name === m.name);
      const base = pv?.paths.get(m.name);
      if (!v || base === undefined) return { error: `cannot find volume "${m.name}" to mount into container "${c.name}"` };
      let hostPath = base;
      const sub = m.subPath ?? '';
      if (sub) {
        if (path.isAbsolute(sub) || sub.split('/').includes('..')) return { error: `failed to prepare subPath for volumeMount "${m.name}" of container "${c.name}"` };
        hostPath = path.join(base, sub);
        if (!fs.existsSync(hostPath)) fs.mkdirSync(hostPath, { recursive: true, mode: 0o755 });
        hostPath = fs.realpathSync(hostPath);
      }
      mounts.push({ containerPath: m.mountPath, hostPath, readOnly: (m.readOnly ?? false) || sourced(v) });
    }
    return { mounts };
  }

  /** Removes the pod's volume directories (emptyDir data included; hostPath and PV data stay). */
  tearDown(uid: string): void {
    const pv = this.pods.get(uid);
    if (!pv) return;
    this.pods.delete(uid);
    fs.rmSync(path.join(pv.dir, 'volumes'), { recursive: true, force: true });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** A ConfigMap or Secret changed: compare the sourced volumes soon rather than at the next period. */
  requestResync(): void {
    if (this.stopped || this.pods.size === 0) return;
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.scheduleResync(100);
  }

  private scheduleResync(delayMs = this.opts.resyncMs ?? 2000): void {
    if (this.timer || this.stopped) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = undefined;
      void this.runResync().finally(() => {
        if (this.pods.size > 0) this.scheduleResync();
      });
    }, delayMs);
  }

  private lock: Promise<unknown> = Promise.resolve();

  /** One writer at a time: a set-up and a resync writing one volume would race on ..data. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private runResync(): Promise<void> {
    return this.exclusive(() => this.resync());
  }

  /** Rewrites sourced volumes whose objects changed; on an error the old content stays (as the kubelet). */
  async resync(): Promise<void> {
    for (const pv of [...this.pods.values()]) {
      for (const v of pv.pod.spec?.volumes ?? []) {
        const dir = pv.paths.get(v.name);
        if (!sourced(v) || dir === undefined) continue;
        try {
          await this.ensureTokens(pv, v);
          const r = this.payload(pv, v);
          if ('error' in r) continue;
          if (writeAtomic(dir, r.payload, new Date(this.opts.clock.now()))) this.opts.log(`pod ${pv.pod.metadata!.namespace}/${pv.pod.metadata!.name}: volume ${v.name} updated`);
        } catch (err) {
          this.opts.log(`pod ${pv.pod.metadata!.namespace}/${pv.pod.metadata!.name}: volume ${v.name}: ${(err as Error).message}`);
        }
      }
    }
  }
}

/** The env var that names a volume's host directory when containers share the host's mount namespace. */
export function volumeEnvName(volume: string): string {
  return `SKIFF_VOLUME_${volume.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * Without mount namespaces (loopback mode), what a container gets instead of its mounts: `SKIFF_VOLUME_<NAME>`
 * per mounted volume and `SKIFF_MOUNTS` (one `containerPath=hostPath` per line). With mount namespaces,
 * `SKIFF_MOUNTS` maps each path to itself, so images (nginx) can tell a mounted path either way.
 */
export function mountEnv(c: Container, mounts: Mount[], mountNamespaces: boolean): Record<string, string> {
  const env: Record<string, string> = {};
  if (mounts.length === 0) return env;
  env.SKIFF_MOUNTS = mounts.map((m) => `${m.containerPath}=${mountNamespaces ? m.containerPath : m.hostPath}`).join('\n');
  if (!mountNamespaces) (c.volumeMounts ?? []).forEach((vm, i) => (env[volumeEnvName(vm.name)] = mounts[i]!.hostPath));
  return env;
}
