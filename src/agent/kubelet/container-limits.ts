/** resources.limits as the OCI runtime applies them (cgroup v2 memory.max, cpu.max). */
import type { Container } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from './env.js';

export function containerLimits(c: Container): { memoryBytes?: number; cpuMilli?: number } | undefined {
  const limits = c.resources?.limits;
  const out: { memoryBytes?: number; cpuMilli?: number } = {};
  if (limits?.memory !== undefined) out.memoryBytes = Math.ceil(parseQuantity(String(limits.memory)));
  if (limits?.cpu !== undefined) out.cpuMilli = Math.ceil(parseQuantity(String(limits.cpu)) * 1000);
  return out.memoryBytes || out.cpuMilli ? out : undefined;
}
