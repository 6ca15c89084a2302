import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
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

/** An OTLP collector on loopback that takes the spans and discards them; `modes` are the telemetry modes exporting to it. */
export async function discardingCollector(): Promise<{ modes: [string, Record<string, string>][]; close: () => void }> {
  const sink = createServer((req, res) => req.resume().on('end', () => res.writeHead(200).end()));
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const otlp = { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${(sink.address() as { port: number }).port}/v1/traces` };
  const preload = { NODE_OPTIONS: '--import @rabbit-tutorials/telemetry/register' };
  const ours = { ...preload, ...otlp };
  // The peer: the stock OpenTelemetry amqplib instrumentation, the same exporter, collector and samplers.
  const stock = { NODE_OPTIONS: `--import ${fileURLToPath(new URL('stock-tracing.mjs', import.meta.url))}`, ...otlp };
  // Nothing recorded (ratio 0: the context still carried), or the usual way to pay less: one trace in ten.
  const ratio = (r: string) => ({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: r });
  return {
    modes: [
      ['off', {}], ['metrics (METRICS_PORT)', { ...preload, METRICS_PORT: '0' }],
      ['tracing, nothing recorded (ratio 0): ours', { ...ours, ...ratio('0') }], ['tracing, nothing recorded (ratio 0): stock', { ...stock, ...ratio('0') }],
      ['tracing, 1 trace in 10: ours', { ...ours, ...ratio('0.1') }], ['tracing, 1 trace in 10: stock', { ...stock, ...ratio('0.1') }],
      ['tracing, every span: ours', ours], ['tracing, every span: stock', stock],
    ],
    close: () => sink.close(),
  };
}
