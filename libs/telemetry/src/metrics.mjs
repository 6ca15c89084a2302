// The program's own metrics on http://METRICS_HOST:METRICS_PORT/metrics (Prometheus text format):
// messages published and handled, how long handling took (delivery to ack), failures and reconnects.
// Counted by a few wrappers around amqplib's promise-API channel methods (publish, consume, ack, nack,
// reject...) and by libs/connection's diagnostics channel; the role files stay as they are. Not through
// OpenTelemetry's amqplib instrumentation: it makes a span, its attributes and a context for every
// message even when nothing records them, which cost a quarter of a worker's throughput. Loopback only
// unless METRICS_HOST says otherwise (compose: 0.0.0.0).
import { subscribe } from 'node:diagnostics_channel';
import { createServer } from 'node:http';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile } from '@opentelemetry/instrumentation';
import client from 'prom-client';

/** The exchange, or for the default exchange the queue; every direct reply-to and server-named queue counts as one. */
const destination = (exchange, routingKey) =>
  exchange || (routingKey?.startsWith('amq.rabbitmq.reply-to') ? 'amq.rabbitmq.reply-to' : routingKey?.startsWith('amq.gen-') ? 'amq.gen-*' : routingKey || '(none)');
/** Peers choose destinations (an RPC server answers any reply_to): past this many, new ones are counted as one. */
const MAX_DESTINATIONS = 100;
const OTHER = '(other)';

const DELIVERED_AT = Symbol('delivered at'); // on a delivery: performance.now() when it came
const UNSETTLED = Symbol('unsettled'); // on a channel: its deliveries not settled yet, by delivery tag

/** Starts the /metrics server and the counting. Exits with one line on bad settings. */
export function serveMetrics(env) {
  const fail = (message) => {
    process.stderr.write(`error: ${message}\n`);
    process.exit(1);
  };
  const raw = env.METRICS_PORT.trim();
  const port = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(port >= 0 && port <= 65535)) fail(`METRICS_PORT must be a whole number from 0 to 65535 (got "${raw.slice(0, 50)}")`);
  const host = env.METRICS_HOST?.trim() || '127.0.0.1';

  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  // How long handling took, kept as each destination's bucket counts and handed over at scrape time,
  // as the counts below are: prom-client's own Histogram validates and hashes its labels on every observe.
  const BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30];
  registry.registerMetric({
    name: 'amqp_message_handling_seconds', help: 'From delivery to ack, nack or reject: how long the program took.', type: 'histogram',
    get() {
      const values = [];
      for (const { name: destination, handling: h } of series.values()) {
        if (h.count === 0) continue;
        let cumulative = 0;
        BUCKETS.forEach((le, i) => values.push({ metricName: `${this.name}_bucket`, labels: { destination, le }, value: (cumulative += h.buckets[i]) }));
        values.push({ metricName: `${this.name}_bucket`, labels: { destination, le: '+Inf' }, value: h.count });
        values.push({ metricName: `${this.name}_sum`, labels: { destination }, value: h.sum });
        values.push({ metricName: `${this.name}_count`, labels: { destination }, value: h.count });
      }
      return { name: this.name, help: this.help, type: this.type, values };
    },
  });
  // Each destination's counts, in plain numbers: a message costs an addition, and prom-client (which
  // hashes a label object on every inc) is given the totals when /metrics is read.
  const series = new Map();
  const of = (exchange, routingKey) => {
    let name = destination(exchange, routingKey);
    if (!series.has(name) && series.size >= MAX_DESTINATIONS) name = OTHER;
    let s = series.get(name);
    if (!s) series.set(name, (s = { name, published: 0, publishFailed: 0, failed: 0, handled: new Map(), handling: { buckets: new Float64Array(BUCKETS.length), sum: 0, count: 0 } }));
    return s;
  };
  const counter = (name, help, labelNames, totals) => new client.Counter({
    name, help, labelNames, registers: [registry],
    collect() {
      this.reset();
      for (const s of series.values()) for (const [labels, n] of totals(s)) if (n > 0) this.inc(labels, n);
    },
  });
  const byDestination = (field) => (s) => [[{ destination: s.name }, s[field]]];
  counter('amqp_messages_published_total', 'Messages published, by exchange (or queue, for the default exchange).', ['destination'], byDestination('published'));
  counter('amqp_publish_failures_total', 'Publishes the broker did not confirm (nack, or the channel closed first).', ['destination'], byDestination('publishFailed'));
  counter('amqp_messages_handled_total', 'Deliveries settled, by outcome: ack, nack, reject, auto ack, channel closed...', ['destination', 'outcome'],
    (s) => [...s.handled].map(([outcome, n]) => [{ destination: s.name, outcome }, n]));
  counter('amqp_message_failures_total', 'Deliveries the program nacked or rejected, or that its channel lost.', ['destination'], byDestination('failed'));
  const reconnects = new client.Counter({ name: 'amqp_reconnects_total', help: 'Times the connection came back after being lost.', registers: [registry] });
  subscribe('rabbit-tutorials:reconnect', () => reconnects.inc());

  const settled = (msg, outcome, failure) => {
    const s = of(msg.fields.exchange, msg.fields.routingKey);
    s.handled.set(outcome, (s.handled.get(outcome) ?? 0) + 1);
    if (failure) s.failed++;
    const seconds = (performance.now() - msg[DELIVERED_AT]) / 1000;
    const h = s.handling;
    let i = 0;
    while (i < BUCKETS.length && seconds > BUCKETS[i]) i++;
    if (i < BUCKETS.length) h.buckets[i]++;
    h.sum += seconds;
    h.count++;
  };
  /** Settles one delivery (or, allUpTo, every one up to it) that the channel still has. */
  const settle = (channel, msg, allUpTo, outcome, failure) => {
    const unsettled = channel[UNSETTLED];
    if (!unsettled || !msg?.fields) return;
    const tag = msg.fields.deliveryTag;
    if (!allUpTo) {
      if (unsettled.delete(tag)) settled(msg, outcome, failure);
      return;
    }
    for (const [t, m] of unsettled) { // in delivery order
      if (t > tag) break;
      unsettled.delete(t);
      settled(m, outcome, failure);
    }
  };
  const settleAll = (channel, outcome, failure) => {
    const unsettled = channel[UNSETTLED];
    if (!unsettled) return;
    for (const m of unsettled.values()) settled(m, outcome, failure);
    unsettled.clear();
  };

  /** amqplib's promise API (what the programs use): the methods wrapped once, on its channel classes. */
  const count = (exports) => {
    const { Channel, ConfirmChannel } = exports;
    const original = Object.fromEntries(['publish', 'consume', 'ack', 'nack', 'reject', 'ackAll', 'nackAll', 'emit'].map((m) => [m, Channel.prototype[m]]));
    const confirmPublish = ConfirmChannel.prototype.publish;
    // sendToQueue and a confirm channel's publish both come through here: each message once.
    Channel.prototype.publish = function publish(exchange, routingKey) {
      of(exchange, routingKey).published++;
      return original.publish.apply(this, arguments);
    };
    ConfirmChannel.prototype.publish = function publish(exchange, routingKey, content, options, callback) {
      return confirmPublish.call(this, exchange, routingKey, content, options, (err, ok) => {
        if (err) of(exchange, routingKey).publishFailed++;
        callback?.(err, ok);
      });
    };
    Channel.prototype.consume = function consume(queue, onMessage, options) {
      const channel = this;
      const unsettled = (channel[UNSETTLED] ??= new Map());
      return original.consume.call(this, queue, function counted(msg) {
        if (!msg) return onMessage.call(this, msg); // the broker cancelled the consumer
        msg[DELIVERED_AT] = performance.now();
        if (!options?.noAck) {
          unsettled.set(msg.fields.deliveryTag, msg);
          return onMessage.call(this, msg);
        }
        try {
          return onMessage.call(this, msg);
        } finally {
          settled(msg, 'auto ack', false);
        }
      }, options);
    };
    Channel.prototype.ack = function ack(msg, allUpTo) {
      settle(this, msg, allUpTo, 'ack', false);
      return original.ack.apply(this, arguments);
    };
    Channel.prototype.nack = function nack(msg, allUpTo) {
      settle(this, msg, allUpTo, 'nack', true);
      return original.nack.apply(this, arguments);
    };
    Channel.prototype.reject = function reject(msg) {
      settle(this, msg, false, 'reject', true);
      return original.reject.apply(this, arguments);
    };
    Channel.prototype.ackAll = function ackAll() {
      settleAll(this, 'ackAll', false);
      return original.ackAll.apply(this, arguments);
    };
    Channel.prototype.nackAll = function nackAll() {
      settleAll(this, 'nackAll', true);
      return original.nackAll.apply(this, arguments);
    };
    // Deliveries a closed channel never settles: the broker requeues them.
    Channel.prototype.emit = function emit(event) {
      if (event === 'error') settleAll(this, 'channel error', true);
      else if (event === 'close') settleAll(this, 'channel closed', true);
      return original.emit.apply(this, arguments);
    };
    return exports;
  };
  // Wrapped when amqplib loads its channel model (require-in-the-middle, as OpenTelemetry's instrumentations do).
  new (class AmqplibCounters extends InstrumentationBase {
    init() {
      const versions = ['>=0.10 <3'];
      return new InstrumentationNodeModuleDefinition('amqplib', versions, undefined, undefined,
        [new InstrumentationNodeModuleFile('amqplib/lib/channel_model.js', versions, count, (exports) => exports)]);
    }
  })('@rabbit-tutorials/telemetry', '0.1.0', {});

  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') return void res.writeHead(404).end();
    registry.metrics().then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500).end());
  });
  server.once('error', (err) => fail(`METRICS_PORT ${port} on ${host}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.message}`));
  // The server alone does not keep a program alive: a send still ends when its work is done.
  server.listen(port, host, () => {
    const bound = server.address();
    process.stderr.write(`[metrics] http://${host.includes(':') ? `[${host}]` : host}:${bound.port}/metrics\n`);
  }).unref();
}
