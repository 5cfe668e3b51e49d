/**
 * An OCI image config combined with the pod spec, as kubelet and containerd combine them: `command`
 * replaces Entrypoint (and drops Cmd), `args` replaces Cmd; env is the image's Env overlaid by the
 * container's; workingDir over WorkingDir; the user is securityContext runAsUser/runAsGroup (the
 * container's over the pod's) over the image's `User`.
 */
import type { Container, PodSecurityContext, SecurityContext } from 'kubernetes-types/core/v1.js';
import type { OciImageConfig } from '../../runtime/cri.js';
import { containerArgv } from '../command.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface OciContainerSettings {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  user?: string;
}

export function ociContainerSettings(o: {
  config: OciImageConfig;
  container: Container;
  podSecurityContext?: PodSecurityContext | undefined;
  /** The container's env as kubelet makes it (service links, env, envFrom), already expanded. */
  containerEnv: Record<string, string>;
  /** Set by the runtime for every container (HOSTNAME), under the image's and the container's. */
  baseEnv?: Record<string, string>;
}): OciContainerSettings {
  const { config, container: c } = o;
  // containerd's default PATH when the image has none (oci.WithDefaultPathEnv)
  const env: Record<string, string> = { PATH: DEFAULT_PATH, ...o.baseEnv, ...imageEnv(config.Env), ...o.containerEnv };
  const argv = containerArgv({ image: { entrypoint: config.Entrypoint ?? [], cmd: config.Cmd ?? [] }, command: c.command, args: c.args, env });
  const user = containerUser(config.User, c.securityContext, o.podSecurityContext);
  return { argv, env, cwd: c.workingDir || config.WorkingDir || '/', ...(user ? { user } : {}) };
}

/** `KEY=VALUE` lines; a later duplicate wins, as in the runtime's environment. */
export function imageEnv(lines: string[] | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of lines ?? []) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

/** `uid[:gid]` or the image's `user[:group]`, with runAsUser/runAsGroup replacing their part. */
export function containerUser(imageUser: string | undefined, sc: SecurityContext | undefined, psc: PodSecurityContext | undefined): string | undefined {
  const runAsUser = sc?.runAsUser ?? psc?.runAsUser;
  const runAsGroup = sc?.runAsGroup ?? psc?.runAsGroup;
  const [imgUser, imgGroup] = (imageUser ?? '').split(':', 2);
  const u = runAsUser !== undefined ? String(runAsUser) : imgUser || undefined;
  const g = runAsGroup !== undefined ? String(runAsGroup) : imgGroup || undefined;
  if (u === undefined && g === undefined) return undefined;
  return g === undefined ? u : `${u ?? '0'}:${g}`;
}
