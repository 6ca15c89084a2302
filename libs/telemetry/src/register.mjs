// Tracing for any program, off unless the standard OTEL_* variables ask for it. Preloaded:
//   OTEL_TRACES_EXPORTER=console node --import @rabbit-tutorials/telemetry/register --import tsx apps/hello/src/send.ts
// (nx targets add it when OTEL_TRACES_EXPORTER is set). OpenTelemetry's Node SDK takes the exporter,
// service name and sampler from OTEL_*; amqplib's instrumentation makes the spans and carries the W3C
// trace context in message headers, so a consumer's span continues its producer's trace.
// Plain JavaScript, so it loads before tsx and before amqplib, whose require() it hooks.
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { NodeSDK } from '@opentelemetry/sdk-node';

// Traces only, unless metrics or logs are asked for by name.
process.env.OTEL_METRICS_EXPORTER ??= 'none';
process.env.OTEL_LOGS_EXPORTER ??= 'none';

const sdk = new NodeSDK({ instrumentations: [new AmqplibInstrumentation()] });
sdk.start();
// Short programs (a send) end as soon as their work is done: export what is buffered first.
process.once('beforeExit', () => void sdk.shutdown());
