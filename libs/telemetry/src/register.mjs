// Tracing and metrics for any program, off unless asked for. Preloaded:
//   OTEL_TRACES_EXPORTER=console node --import @rabbit-tutorials/telemetry/register --import tsx apps/hello/src/send.ts
//   METRICS_PORT=9464 node --import @rabbit-tutorials/telemetry/register --import tsx apps/task-queue/src/worker.ts
// (nx targets add it when OTEL_TRACES_EXPORTER or METRICS_PORT is set). OpenTelemetry's Node SDK takes
// the exporter, service name and sampler from OTEL_*; amqplib's instrumentation makes the spans and
// carries the W3C trace context in message headers, so a consumer's span continues its producer's
// trace. /metrics counts the messages through wrappers of its own, much cheaper (metrics.mjs).
// Plain JavaScript, so it loads before tsx and before amqplib, whose require() it hooks.
import { isMainThread } from 'node:worker_threads';
import wanted, { exporters } from './wanted.cjs';

// Newer Node runs NODE_OPTIONS' preloads in worker threads too, such as the one that runs module
// hooks (tsx's): the program's telemetry lives in its main thread only (a second /metrics server on
// the same port would fail it).
const { tracing, metrics, unknownExporters } = isMainThread ? wanted(process.env) : { tracing: false, metrics: false, unknownExporters: [] };
// The SDK would ignore a misspelt exporter without a word.
if (unknownExporters.length > 0) {
  process.stderr.write(`[telemetry] warning: OTEL_TRACES_EXPORTER: ${unknownExporters.map((n) => JSON.stringify(n.slice(0, 40))).join(', ')} ` +
    'is not otlp, console, zipkin or none: ignored\n');
}
// Loaded only when asked for: each hooks amqplib as soon as it is loaded.
if (metrics) (await import('./metrics.mjs')).serveMetrics(process.env);

if (tracing) {
  // The service in the traces: the connection's name (compose sets one per service), else app-role
  // from the file (apps/task-queue/src/worker.ts: task-queue-worker).
  const [, app, role] = /apps[\\/]([^\\/]+)[\\/]src[\\/]([^\\/]+)\.ts$/.exec(process.argv[1] ?? '') ?? [];
  const service = process.env.RABBITMQ_CONNECTION_NAME?.trim() || (app && `${app}-${role}`);
  if (service && !process.env.OTEL_SERVICE_NAME?.trim()) process.env.OTEL_SERVICE_NAME = service;
  // Traces only, unless metrics or logs are asked for by name.
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  const { NodeSDK, core } = await import('@opentelemetry/sdk-node');
  // Telemetry never fails a program that worked: an exporter that cannot export (no collector yet, or
  // none at all) is one warning line, and the program goes on with its own exit code.
  let warned = false;
  const warn = (err) => {
    if (warned) return;
    warned = true;
    const why = err?.code ?? err?.message ?? String(err);
    process.stderr.write(`[telemetry] warning: cannot export traces to ${exportEndpoint(process.env)} (${why}); the program goes on without them\n`);
  };
  core.setGlobalErrorHandler(warn);
  // OpenTelemetry's amqplib instrumentation, cheap for the messages it does not record.
  const { AmqplibSpans, followsParent } = await import('./amqplib-spans.mjs');
  const sdk = new NodeSDK({ instrumentations: [new AmqplibSpans({ parentBased: followsParent(process.env) })] });
  sdk.start();
  // Short programs (a send) end as soon as their work is done: export what is buffered first.
  process.once('beforeExit', () => void sdk.shutdown().catch(warn));
}

/** Where the configured exporter sends traces (the OpenTelemetry defaults), for the warning. */
function exportEndpoint(env) {
  if (exporters(env).includes('zipkin')) return env.OTEL_EXPORTER_ZIPKIN_ENDPOINT?.trim() || 'http://localhost:9411/api/v2/spans';
  const grpc = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL)?.trim() === 'grpc';
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || (grpc ? 'http://localhost:4317' : 'http://localhost:4318');
  return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || (grpc ? base : `${base.replace(/\/$/, '')}/v1/traces`);
}
