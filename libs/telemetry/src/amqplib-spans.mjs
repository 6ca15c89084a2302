// OpenTelemetry's amqplib instrumentation, with one change: a publish or delivery span gets its
// attributes only when it is recorded. The instrumentation builds them for every message before
// the sampler is asked (its consume patch alone took 8% of a worker's CPU with one trace in ten
// recorded); the spans that are recorded, their names, attributes, links and context, are the same.
// The two methods below are the instrumentation's (@opentelemetry/instrumentation-amqplib 0.70.0,
// Apache-2.0) with that change; the rest of it (acks, confirms, channel close) is used as it is.
import { createRequire } from 'node:module';
import { ROOT_CONTEXT, SpanKind, context, diag, propagation, trace } from '@opentelemetry/api';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { safeExecuteInTheMiddle } from '@opentelemetry/instrumentation';

const require = createRequire(import.meta.url);
const build = (file) => require(`@opentelemetry/instrumentation-amqplib/build/src/${file}`);
const { CHANNEL_CONSUME_TIMEOUT_TIMER, CHANNEL_SPANS_NOT_ENDED, CONNECTION_ATTRIBUTES, MESSAGE_STORED_SPAN, normalizeExchange } = build('utils.js');
const old = build('semconv-obsolete.js');
const { ATTR_MESSAGING_OPERATION } = build('semconv.js');
const { EndOperation } = build('types.js');
/** The instrumentation's clock: [seconds, nanoseconds] since the epoch. */
const hrTime = () => {
  const ms = performance.timeOrigin + performance.now();
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.floor((ms - seconds * 1000) * 1e6)];
};

export class AmqplibSpans extends AmqplibInstrumentation {
  createPublishSpan(self, exchange, routingKey, channel, options) {
    const span = self.tracer.startSpan(`publish ${normalizeExchange(exchange)}`, { kind: SpanKind.PRODUCER });
    if (span.isRecording()) {
      span.setAttributes({
        ...channel.connection[CONNECTION_ATTRIBUTES],
        [old.ATTR_MESSAGING_DESTINATION]: exchange,
        [old.ATTR_MESSAGING_DESTINATION_KIND]: old.MESSAGING_DESTINATION_KIND_VALUE_TOPIC,
        [old.ATTR_MESSAGING_RABBITMQ_ROUTING_KEY]: routingKey,
        [old.OLD_ATTR_MESSAGING_MESSAGE_ID]: options?.messageId,
        [old.ATTR_MESSAGING_CONVERSATION_ID]: options?.correlationId,
      });
    }
    const modifiedOptions = options ?? {};
    modifiedOptions.headers = modifiedOptions.headers ?? {};
    // Recorded or not, the context goes with the message: the consumer then follows the same decision.
    propagation.inject(trace.setSpan(context.active(), span), modifiedOptions.headers);
    return { span, modifiedOptions };
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
        }
        const span = self.tracer.startSpan(`${queue} process`, { kind: SpanKind.CONSUMER, links }, parentContext);
        if (span.isRecording()) {
          span.setAttributes({
            ...channel?.connection?.[CONNECTION_ATTRIBUTES],
            [old.ATTR_MESSAGING_DESTINATION]: msg.fields?.exchange,
            [old.ATTR_MESSAGING_DESTINATION_KIND]: old.MESSAGING_DESTINATION_KIND_VALUE_TOPIC,
            [old.ATTR_MESSAGING_RABBITMQ_ROUTING_KEY]: msg.fields?.routingKey,
            [ATTR_MESSAGING_OPERATION]: old.MESSAGING_OPERATION_VALUE_PROCESS,
            [old.OLD_ATTR_MESSAGING_MESSAGE_ID]: msg.properties.messageId,
            [old.ATTR_MESSAGING_CONVERSATION_ID]: msg.properties.correlationId,
          });
        }
        const { consumeHook } = self.getConfig();
        if (consumeHook) safeExecuteInTheMiddle(() => consumeHook(span, { moduleVersion, msg }), (e) => e && diag.error('amqplib instrumentation: consumerHook error', e), true);
        if (!options?.noAck) {
          // Tracked until its ack (or ackAll, or the channel's close) ends the span.
          channel[CHANNEL_SPANS_NOT_ENDED].push({ msg, timeOfConsume: hrTime() });
          msg[MESSAGE_STORED_SPAN] = span;
        }
        context.with(trace.setSpan(parentContext ?? ROOT_CONTEXT, span), () => onMessage.call(this, msg));
        if (options?.noAck) {
          self.callConsumeEndHook(span, msg, false, EndOperation.AutoAck);
          span.end();
        }
      };
      arguments[1] = patchedOnMessage;
      return original.apply(this, arguments);
    };
  }
}
