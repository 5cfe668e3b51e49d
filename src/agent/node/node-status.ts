/** The Node object a kubelet registers and the status it reports (kubelet_node_status.go, nodestatus/setters.go). */
import fs from 'node:fs';
import os from 'node:os';
import type { Node, NodeCondition, NodeStatus } from 'kubernetes-types/core/v1.js';
import { rfc3339 } from '../../util/clock.js';

export const KUBELET_VERSION = 'v1.32.4+skiff';
export const CONTAINER_RUNTIME_VERSION = 'skiff://0.1.0';
export const MAX_PODS = 110;

export interface NodeIdentity {
  nodeName: string;
  nodeIP: string;
  kubeletPort: number;
  isControlPlane: boolean;
  /** For ephemeral-storage: the filesystem of the data dir. */
  dataDir: string;
}

export function goArch(arch: string = process.arch): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[arch] ?? arch;
}

/** PRETTY_NAME from /etc/os-release, as the kubelet's osImage. */
export function osImage(text?: string): string {
  let content = text;
  if (content === undefined) {
    try {
      content = fs.readFileSync('/etc/os-release', 'utf8');
    } catch {
      return 'Unknown';
    }
  }
  const m = /^PRETTY_NAME=(.*)$/m.exec(content);
  return m ? m[1]!.trim().replace(/^"(.*)"$/, '$1') : 'Unknown';
}

export function nodeLabels(id: NodeIdentity): Record<string, string> {
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': goArch(),
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': goArch(),
    'kubernetes.io/hostname': id.nodeName,
    'kubernetes.io/os': 'linux',
  };
  if (id.isControlPlane) labels['node-role.kubernetes.io/control-plane'] = 'true';
  return labels;
}

export function nodeCapacity(id: NodeIdentity): Record<string, string> {
  const cap: Record<string, string> = {
    cpu: String(os.cpus().length || 1),
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: `${Math.floor(os.totalmem() / 1024)}Ki`,
    pods: String(MAX_PODS),
  };
  try {
    const st = fs.statfsSync(id.dataDir);
    cap['ephemeral-storage'] = `${Math.floor((st.blocks * st.bsize) / 1024)}Ki`;
  } catch {
    // no statfs: leave it out
  }
  return cap;
}

type ConditionSpec = [type: string, status: string, reason: string, message: string];

const CONDITIONS: ConditionSpec[] = [
  ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
  ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
  ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
  ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
];

/** The conditions, keeping lastTransitionTime from `previous` while the status is unchanged. */
export function nodeConditions(previous: NodeCondition[] | undefined, now: number): NodeCondition[] {
  return CONDITIONS.map(([type, status, reason, message]) => {
    const prev = previous?.find((c) => c.type === type);
    return {
      type,
      status,
      lastHeartbeatTime: rfc3339(now),
      lastTransitionTime: prev && prev.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : rfc3339(now),
      reason,
      message,
    };
  });
}

export function nodeStatus(id: NodeIdentity, previous: NodeStatus | undefined, now: number): NodeStatus {
  const capacity = nodeCapacity(id);
  return {
    capacity,
    allocatable: { ...capacity },
    conditions: nodeConditions(previous?.conditions, now),
    addresses: [
      { type: 'InternalIP', address: id.nodeIP },
      { type: 'Hostname', address: id.nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: id.kubeletPort } },
    nodeInfo: {
      machineID: machineID(),
      systemUUID: machineID(),
      bootID: bootID(),
      kernelVersion: os.release(),
      osImage: osImage(),
      containerRuntimeVersion: CONTAINER_RUNTIME_VERSION,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: goArch(),
    },
  };
}

export function newNode(id: NodeIdentity, now: number): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: id.nodeName,
      labels: nodeLabels(id),
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {},
    status: nodeStatus(id, undefined, now),
  };
}

/** Whether two statuses differ in anything but heartbeat times (kubelet skips such updates until the report frequency). */
export function statusChanged(a: NodeStatus | undefined, b: NodeStatus): boolean {
  const strip = (s: NodeStatus | undefined) =>
    JSON.stringify({ ...s, conditions: s?.conditions?.map((c) => ({ ...c, lastHeartbeatTime: undefined })) });
  return strip(a) !== strip(b);
}

function readTrim(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

function machineID(): string {
  return readTrim('/etc/machine-id');
}

function bootID(): string {
  return readTrim('/proc/sys/kernel/random/boot_id');
}
