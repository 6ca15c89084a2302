// OpenTelemetry's amqplib instrumentation, made cheap for the messages it does not record; the spans
// that are recorded, their names, attributes, links and context, are the same.
// - A span gets its attributes only when it is recorded (the instrumentation builds them for every
//   message before the sampler is asked), the connection's as they are and the message's in an object of
//   fixed keys (a spread of both into one object of computed keys cost ~10 µs per span).
// - With a parent-based sampler (the SDK's default, and parentbased_traceidratio), a message whose trace
//   was left out is left out here too: no span is started for it (a sampler call, new ids); the handler
//   runs in the context that came with it, so what it publishes carries the same trace on, flag 00.
// - A span that is not recorded is not kept on the channel until the ack (ending it does nothing).
// - The trace header of a message published without headers goes into one headers object rewritten for
//   each publish, not a new one: amqplib makes the headers the prototype of an object of its own, and a
//   new object as a prototype costs V8 ~3 µs per message. amqplib encodes it before publish returns.
// The publish, confirm and consume patches below replace the instrumentation's (@opentelemetry/
// instrumentation-amqplib 0.70.0, Apache-2.0; its publish and consume hooks are not used); the rest
// of it (acks, channel close, the connection's attributes) is used as it is.
import { createRequire } from 'node:module';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, context, propagation, trace } from '@opentelemetry/api';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';

const require = createRequire(import.meta.url);
const build = (file) => require(`@opentelemetry/instrumentation-amqplib/build/src/${file}`);
const { CHANNEL_CONSUME_TIMEOUT_TIMER, CHANNEL_SPANS_NOT_ENDED, CONNECTION_ATTRIBUTES, MESSAGE_STORED_SPAN, normalizeExchange } = build('utils.js');
/** The instrumentation's clock: [seconds, nanoseconds] since the epoch. */
const hrTime = () => {
  const ms = performance.timeOrigin + performance.now();
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.floor((ms - seconds * 1000) * 1e6)];
};

/** The headers of every publish that brings none of its own: the propagators' fields, rewritten each time. */
const TRACE_HEADERS = {};
/** True while a confirm channel's publish passes through Channel.publish: its span is made already. */
let confirming = false;

/** Whether the sampler the environment names records nothing under a parent that was not recorded. */
export const followsParent = (env) => {
  const sampler = env.OTEL_TRACES_SAMPLER?.trim();
  return !sampler || sampler.startsWith('parentbased_');
};

export class AmqplibSpans extends AmqplibInstrumentation {
  /** parentBased: the SDK's sampler leaves out what a left-out trace goes on to (followsParent). */
  constructor({ parentBased = false, ...config } = {}) {
    super(config);
    this.parentBased = parentBased;
  }

  /** Whether nothing in this context will be recorded: its trace was left out, and the sampler follows that. */
  leftOut(ctx) {
    if (!this.parentBased) return false;
    const spanContext = trace.getSpanContext(ctx);
    return spanContext !== undefined && (spanContext.traceFlags & TraceFlags.SAMPLED) === 0;
  }

  /** A publish span, with its attributes if it is recorded; none in a context that was left out. */
  startPublishSpan(active, exchange, routingKey, channel, options) {
    if (this.leftOut(active)) return undefined;
    const span = this.tracer.startSpan(`publish ${normalizeExchange(exchange)}`, { kind: SpanKind.PRODUCER });
    if (span.isRecording()) {
      span.setAttributes(channel.connection[CONNECTION_ATTRIBUTES]);
      span.setAttributes({
        'messaging.destination': exchange,
        'messaging.destination_kind': 'topic',
        'messaging.rabbitmq.routing_key': routingKey,
        'messaging.message_id': options?.messageId,
        'messaging.conversation_id': options?.correlationId,
      });
    }
    return span;
  }

  /** Publishes (publish: the original, bound) with the context's trace header in the message's headers. */
  publishWithTraceHeader(ctx, options, publish) {
    if (options?.headers) {
      propagation.inject(ctx, options.headers);
      return publish(options);
    }
    for (const field of propagation.fields()) TRACE_HEADERS[field] = undefined; // amqplib leaves out undefined values
    propagation.inject(ctx, TRACE_HEADERS);
    if (!options) return publish({ headers: TRACE_HEADERS });
    // Lent to the caller's options for this one publish (a copy of them would cost as much as new headers).
    options.headers = TRACE_HEADERS;
    try {
      return publish(options);
    } finally {
      options.headers = undefined;
    }
  }

  getPublishPatch(moduleVersion, original) {
    const self = this;
    return function publish(exchange, routingKey, content, options) {
      if (confirming) return original.apply(this, arguments);
      const active = context.active();
      const span = self.startPublishSpan(active, exchange, routingKey, this, options);
      // Recorded or not, the context goes with the message: the consumer then follows the same decision.
      const sent = self.publishWithTraceHeader(span ? trace.setSpan(active, span) : active, options,
        (withHeader) => original.call(this, exchange, routingKey, content, withHeader));
      span?.end(); // a plain channel's publish only queues the message: its span is short
      return sent;
    };
  }

  getConfirmedPublishPatch(moduleVersion, original) {
    const self = this;
    return function confirmedPublish(exchange, routingKey, content, options, callback) {
      const active = context.active();
      const span = self.startPublishSpan(active, exchange, routingKey, this, options);
      const spanContext = span ? trace.setSpan(active, span) : active;
      // The span ends with the broker's confirm; the callback runs in its context.
      const onConfirm = !span?.isRecording() ? callback : function (err, ok) {
        try {
          callback?.call(this, err, ok);
        } finally {
          if (err) span.setStatus({ code: SpanStatusCode.ERROR, message: "message confirmation has been nack'ed" });
          span.end();
        }
      };
      confirming = true;
      try {
        return self.publishWithTraceHeader(spanContext, options,
          (withHeader) => original.call(this, exchange, routingKey, content, withHeader, onConfirm && context.bind(spanContext, onConfirm)));
      } finally {
        confirming = false;
      }
    };
  }

  getConsumePatch(moduleVersion, original) {
    const self = this;
    return function consume(queue, onMessage, options) {
      const channel = this;
      if (!Object.prototype.hasOwnProperty.call(channel, CHANNEL_SPANS_NOT_ENDED)) {
        const { consumeTimeoutMs } = self.getConfig();
        if (consumeTimeoutMs) {
          const timer = setInterval(() => self.checkConsumeTimeoutOnChannel(channel), consumeTimeoutMs);
          timer.unref();
          channel[CHANNEL_CONSUME_TIMEOUT_TIMER] = timer;
        }
        channel[CHANNEL_SPANS_NOT_ENDED] = [];
      }
      const patchedOnMessage = function (msg) {
        if (!msg) return onMessage.call(this, msg); // the broker cancelled the consumer
        let parentContext = propagation.extract(ROOT_CONTEXT, msg.properties.headers ?? {});
        let links;
        if (self._config.useLinksForConsume) {
          const parentSpanContext = parentContext ? trace.getSpan(parentContext)?.spanContext() : undefined;
          parentContext = undefined;
          if (parentSpanContext) links = [{ context: parentSpanContext }];
        } else if (self.leftOut(parentContext)) {
          return context.with(parentContext, () => onMessage.call(this, msg));
        }
        const span = self.tracer.startSpan(`${queue} process`, { kind: SpanKind.CONSUMER, links }, parentContext);
        const recorded = span.isRecording();
        if (recorded) {
          span.setAttributes(channel?.connection?.[CONNECTION_ATTRIBUTES]);
          span.setAttributes({
            'messaging.destination': msg.fields?.exchange,
            'messaging.destination_kind': 'topic',
            'messaging.rabbitmq.routing_key': msg.fields?.routingKey,
            'messaging.operation': 'process',
            'messaging.message_id': msg.properties.messageId,
            'messaging.conversation_id': msg.properties.correlationId,
          });
          if (!options?.noAck) {
            // Tracked until its ack (or ackAll, or the channel's close) ends the span.
            channel[CHANNEL_SPANS_NOT_ENDED].push({ msg, timeOfConsume: hrTime() });
            msg[MESSAGE_STORED_SPAN] = span;
          }
        }
        context.with(trace.setSpan(parentContext ?? ROOT_CONTEXT, span), () => onMessage.call(this, msg));
        if (recorded && options?.noAck) span.end(); // auto ack: handled once the handler returns
      };
      arguments[1] = patchedOnMessage;
      return original.apply(this, arguments);
    };
  }
}
