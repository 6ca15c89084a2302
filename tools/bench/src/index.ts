import { formatNumber } from '@rabbit-tutorials/management';

/** The q-quantile (0..1) of sorted values, nearest-rank. */
export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export interface LatencyStats {
  count: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Runs `call` `count` times with `concurrency` in flight; measures each call and the whole. */
export async function measureCalls(count: number, concurrency: number, call: (i: number) => Promise<unknown>): Promise<LatencyStats> {
  const latencies = new Array<number>(count);
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    for (let i = next++; i < count; i = next++) {
      const t = performance.now();
      await call(i);
      latencies[i] = performance.now() - t;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { count, seconds, perSecond: count / seconds, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) };
}

/** The range of a figure's rounds, "low-high" (percentages with `percent`): how much the machine's noise moves it. */
export function spread(values: number[] | undefined, percent = false): string {
  if (!values?.length) return '';
  const format = (v: number) => formatNumber(percent ? 100 * v : v);
  return `${format(Math.min(...values))}-${format(Math.max(...values))}${percent ? '%' : ''}`;
}
