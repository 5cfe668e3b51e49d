/**
 * The loopback PodSandbox: pods share the agent's network namespace; each gets a 127.x address from the
 * node's podCIDR (host-local style IPAM) that its processes bind (POD_IP).
 */
import { SkiffError } from '../../util/errors.js';
import { PodIPAM } from '../kubelet/ipam.js';
import type { PodSandbox, PodSandboxConfig, PodSandboxRuntime, PodSandboxStatus, RuntimeConfig } from '../runtime/cri.js';

export class LoopbackSandboxRuntime implements PodSandboxRuntime {
  readonly network = 'loopback' as const;
  private ipam: PodIPAM | undefined;
  private readonly sandboxes = new Map<string, PodSandbox & { ready: boolean }>();

  async updateRuntimeConfig(config: RuntimeConfig): Promise<void> {
    if (!this.ipam) this.ipam = new PodIPAM(config.podCIDR);
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<PodSandbox> {
    const ipam = this.ipamOrThrow();
    const id = `skiff://${config.uid}`;
    let ip: string;
    const reused = !!config.priorIP && ipam.reserve(config.uid, config.priorIP);
    if (reused) ip = config.priorIP!;
    else ip = ipam.allocate(config.uid);
    const sandbox = { id, config, ip, ready: true };
    this.sandboxes.set(id, sandbox);
    return { id, config, ip, ...(reused ? { reused } : {}) };
  }

  async stopPodSandbox(id: string): Promise<void> {
    const s = this.sandboxes.get(id);
    if (s) s.ready = false;
  }

  async removePodSandbox(id: string): Promise<void> {
    const s = this.sandboxes.get(id);
    if (!s) return;
    this.sandboxes.delete(id);
    this.ipam?.release(s.config.uid);
  }

  podSandboxStatus(id: string): PodSandboxStatus | undefined {
    const s = this.sandboxes.get(id);
    return s ? { id, state: s.ready ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY', ip: s.ip } : undefined;
  }

  /** Nothing outlives the agent but processes (the kubelet adopts or kills those: runtime/leftovers.ts). */
  async removeOrphanedSandboxes(): Promise<string[]> {
    return [];
  }

  private ipamOrThrow(): PodIPAM {
    if (!this.ipam) throw new SkiffError('RuntimeNotReady', 'runtime network not ready: no podCIDR configured');
    return this.ipam;
  }
}
