// The peer a user would otherwise pick, for the bench: OpenTelemetry's Node SDK with the stock amqplib
// instrumentation (@opentelemetry/instrumentation-amqplib) and its defaults; exporter and sampler from the
// same OTEL_* variables as the project's preload (libs/telemetry/src/register.mjs). Preloaded:
//   node --import ./tools/bench/src/stock-tracing.mjs --import tsx apps/rpc-fib/src/server.ts
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const { AmqplibInstrumentation } = await import('@opentelemetry/instrumentation-amqplib');
  const sdk = new NodeSDK({ instrumentations: [new AmqplibInstrumentation()] });
  sdk.start();
  process.once('beforeExit', () => void sdk.shutdown().catch(() => undefined));
}
