/**
 * The kubelet's view of a node runtime, shaped after the CRI (k8s.io/cri-api RuntimeService): a
 * PodSandboxRuntime gives a pod its network (and IP), a ContainerRuntime runs its containers in it.
 * The kubelet only talks to these interfaces; `cli/` picks the implementation (loopback: processes on
 * the host network with IPs from 127.x; netns: a network namespace per pod, src/agent/sandbox).
 */
import type { ChildProcess } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';

/** UpdateRuntimeConfig: what the runtime learns once the node has registered. */
export interface RuntimeConfig {
  /** The node's spec.podCIDR (pod IPs come from it). */
  podCIDR: string;
  nodeIP: string;
}

export interface PodSandboxConfig {
  uid: string;
  namespace: string;
  name: string;
  /** The pod's hostname (already truncated as Kubernetes does). */
  hostname: string;
  hostNetwork: boolean;
  /** spec.hostPID: containers see the node's processes (no PID namespace of their own). */
  hostPID?: boolean;
  /** status.podIP from a previous run of this agent: kept if still free. */
  priorIP?: string;
  /** Containers of this pod are adopted from a previous run: keep its sandbox (netns) if it exists. */
  adopt?: boolean;
}

export interface PodSandbox {
  /** Sandbox id (`skiff://<uid>` for loopback, the netns name for netns). */
  id: string;
  config: PodSandboxConfig;
  /** The pod IP (the node IP for hostNetwork pods in netns mode). */
  ip: string;
  /** `/run/netns/<name>` of the pod's network namespace; undefined when the pod shares the agent's. */
  netnsPath?: string;
  /** The sandbox a previous agent run made, kept with its IP (config.adopt): its containers can be adopted. */
  reused?: boolean;
}

export interface PodSandboxStatus {
  id: string;
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
  ip?: string;
  netnsPath?: string;
}

export interface PodSandboxRuntime {
  readonly network: 'loopback' | 'netns';
  updateRuntimeConfig(config: RuntimeConfig): Promise<void>;
  runPodSandbox(config: PodSandboxConfig): Promise<PodSandbox>;
  /** Stops the sandbox: its network goes away, the IP stays reserved until remove. */
  stopPodSandbox(id: string): Promise<void>;
  /** Removes what is left and releases the IP; removing an unknown id is not an error. */
  removePodSandbox(id: string): Promise<void>;
  podSandboxStatus(id: string): PodSandboxStatus | undefined;
  /** After an agent restart: removes sandboxes left by the previous run whose pod uid is not in `keep`. */
  removeOrphanedSandboxes(keep: ReadonlySet<string>): Promise<string[]>;
}

/** CRI Mount: bind-mounted into the container's mount namespace where it has one. */
export interface Mount {
  containerPath: string;
  hostPath: string;
  readOnly: boolean;
}

export interface ContainerConfig {
  name: string;
  argv: string[];
  env: Record<string, string>;
  cwd?: string;
  /** The CRI log file (appended to). */
  logPath: string;
  stdin?: boolean;
  /** Where the runtime keeps the container's output FIFOs, so its output survives an agent restart. */
  outputDir?: string;
  /** /etc/hosts, /etc/resolv.conf and volumes. */
  mounts: Mount[];
  /**
   * `oci` runtime only: the image to run. argv/env/cwd are already combined with the image config by
   * the kubelet (command/args over Entrypoint/Cmd, as Kubernetes combines them).
   */
  image?: OciImage;
  /** `oci` runtime: the user to run as (image `User` or securityContext runAsUser[:runAsGroup]); resolved in the rootfs. */
  user?: string;
  /** `oci` runtime: resources.limits, applied through cgroup v2 where the machine allows it. */
  limits?: { memoryBytes?: number; cpuMilli?: number };
}

/** An image unpacked by the ImageService, as the `oci` runtime runs it. */
export interface OciImage {
  /** The normalized reference it was pulled or imported as (`docker.io/library/nginx:1.25`). */
  ref: string;
  /** `sha256:…` of the image config (containerStatuses[].imageID shows `<repo>@<manifest digest>`). */
  id: string;
  /** `sha256:…` of the manifest. */
  digest: string;
  /** The unpacked root filesystem, shared read-only by every container of this image (never written). */
  rootfs: string;
  /** The image config's `config` object (OCI image spec). */
  config: OciImageConfig;
  sizeBytes: number;
}

export interface OciImageConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  StopSignal?: string;
  ExposedPorts?: Record<string, object>;
}

/** Registry credentials for one pull (from imagePullSecrets, `.dockerconfigjson` style). */
export interface RegistryAuth {
  username?: string;
  password?: string;
  /** base64 `user:password` as in `auths.<registry>.auth`. */
  auth?: string;
}

/** CRI ImageService: images in a content-addressed store under the data dir, shared by the node's pods. */
export interface ImageService {
  /** PullImage: from its registry with skopeo; rejects with a message kubelet puts in `Failed to pull image`. */
  pullImage(ref: string, opts?: { auth?: RegistryAuth; insecure?: boolean }): Promise<OciImage>;
  /** ImageStatus: the image if the store has it (by reference or id), else undefined. */
  imageStatus(ref: string): Promise<OciImage | undefined>;
  listImages(): Promise<OciImage[]>;
  /** `skiff image import`: an OCI layout or `docker save` archive; returns the images it held. */
  importArchive(path: string): Promise<OciImage[]>;
  removeImage(ref: string): Promise<void>;
  /** The kubelet marks an image used by a container (`holder`: `<pod uid>_<container>`) so removeImage refuses it. */
  useImage?(holder: string, o: { imageId: string; container: string }): void;
  /** The pod is gone: its containers no longer hold their images. */
  releaseImage?(holder: string): void;
}

export type ContainerState = 'created' | 'running' | 'exited';

export interface ContainerExit {
  /** As containerStatuses report it: the exit code, or 128+signal for a signal death. */
  exitCode: number;
  signal: NodeJS.Signals | null;
  /** `Completed` for 0, `Error` otherwise, `OOMKilled` when its memory limit's OOM killer hit it (containerd's reasons). */
  reason: 'Completed' | 'Error' | 'OOMKilled';
  startedAt: number;
  finishedAt: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** A created container; emits `exit` (ContainerExit) once. */
export interface RuntimeContainer extends EventEmitter {
  readonly name: string;
  readonly state: ContainerState;
  /** The host PID of the process the runtime spawned (the container's session leader). */
  readonly pid: number | undefined;
  readonly startedAt: number | undefined;
  readonly exit: ContainerExit | undefined;
  /** The main process's stdin (`stdin: true` containers): attach. */
  readonly stdin: Writable | undefined;
  wait(): Promise<ContainerExit>;
  /** Live host PIDs of the container (its processes and exec sessions). */
  processes(): number[];
}

export interface ContainerStatus {
  state: ContainerState;
  pid?: number;
  startedAt?: number;
  exit?: ContainerExit;
}

/** What the container runtime could give containers, so the kubelet can say what it could not. */
export interface Isolation {
  /** Own mount namespace: mounts (resolv.conf, hosts, volumes) are applied. */
  mounts: boolean;
  /** Own UTS namespace: the pod's hostname. */
  uts: boolean;
  /** Why not, when either is false. */
  reason?: string;
}

export interface ContainerRuntime {
  readonly isolation: Isolation;
  createContainer(sandbox: PodSandbox, config: ContainerConfig): RuntimeContainer;
  /**
   * Takes over a container a previous agent run started and left running (same PID and /proc start
   * time); false if that process is gone. The container is then `running` without `startContainer`.
   */
  adoptContainer(c: RuntimeContainer, p: { pid: number; startTime: number; startedAt: number }): boolean;
  /** Rejects with SkiffError `StartError` (containerd's message) when the process cannot start. */
  startContainer(c: RuntimeContainer): Promise<void>;
  /** SIGTERM, then SIGKILL after the grace period. */
  stopContainer(c: RuntimeContainer, gracePeriodMs: number): Promise<ContainerExit | undefined>;
  removeContainer(c: RuntimeContainer): Promise<void>;
  containerStatus(c: RuntimeContainer): ContainerStatus;
  /** ExecSync (exec probes). */
  execSync(c: RuntimeContainer, argv: string[], opts: { timeoutMs: number }): Promise<ExecResult>;
  /** Exec: a process in the container's namespaces; it dies with the container. */
  exec(c: RuntimeContainer, argv: string[], opts: { stdin?: boolean; env?: Record<string, string> }): ChildProcess;
  /** Attach: the main process's stdin and its exit. */
  attach(c: RuntimeContainer): { stdin: Writable | undefined; wait(): Promise<number> };
  /** PortForward: a TCP connection to `port` in the pod's network namespace. */
  portForward(sandbox: PodSandbox, port: number): Socket;
  /**
   * After an agent restart, once adoption is decided: removes what containers of pods not in `keep`
   * (pod uids) left behind — runtimes with state of their own (`oci`: runtime state, mounts, bundles).
   */
  removeOrphanedContainers?(keep: ReadonlySet<string>): Promise<string[]>;
}

/** What `startAgent` takes (cli/node-runtime.ts makes it). */
export interface NodeRuntime {
  network: 'loopback' | 'netns';
  sandboxes: PodSandboxRuntime;
  /** The process runtime: the built-in catalog (`skiff/*`, host programs such as nginx). */
  containers: ContainerRuntime;
  /**
   * `--container-runtime oci`: crun/runc in the pod's namespaces, for images the ImageService has or can
   * pull. Containers whose image the catalog maps (and the store lacks) still run on `containers`.
   */
  oci?: { images: ImageService; containers: ContainerRuntime };
  /** One line for the agent's start-up log: which runtime and why. */
  description: string;
}
