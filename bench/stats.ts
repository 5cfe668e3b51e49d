/** Small helpers for benchmark figures: medians and percentiles of millisecond samples. */
import { rng } from '../test/support/fuzz.js';

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export function median(samples: number[]): number {
  return percentile(samples, 50);
}

export function fmt(ms: number): string {
  return ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(2)} ms`;
}

/**
 * Percentile bootstrap interval of the median: the samples resampled with replacement `rounds` times,
 * the `level` central share of the resampled medians.
 */
export function bootstrapMedianCI(samples: number[], opts: { rounds?: number; level?: number; seed?: number } = {}): [number, number] {
  const rounds = opts.rounds ?? 4000;
  const level = opts.level ?? 0.95;
  const rand = rng(opts.seed ?? 12);
  const medians: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const draw = Array.from({ length: samples.length }, () => samples[Math.floor(rand() * samples.length)]!);
    medians.push(median(draw));
  }
  return [percentile(medians, ((1 - level) / 2) * 100), percentile(medians, ((1 + level) / 2) * 100)];
}
