// The program's own metrics on http://METRICS_HOST:METRICS_PORT/metrics (Prometheus text format):
// messages published and handled, how long handling took (delivery to ack), failures and reconnects.
// Counted by the amqplib instrumentation's hooks and by libs/connection's diagnostics channel; the
// role files stay as they are. Loopback only unless METRICS_HOST says otherwise (compose: 0.0.0.0).
import { subscribe } from 'node:diagnostics_channel';
import { createServer } from 'node:http';
import client from 'prom-client';

/** The exchange, or for the default exchange the queue; every direct reply-to queue counts as one. */
const destination = (exchange, routingKey) =>
  exchange || (routingKey?.startsWith('amq.rabbitmq.reply-to') ? 'amq.rabbitmq.reply-to' : routingKey || '(none)');

/** Starts the /metrics server; returns the instrumentation hooks that count. Exits with one line on bad settings. */
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
  const counter = (name, help, labelNames = ['destination']) => new client.Counter({ name, help, labelNames, registers: [registry] });
  const published = counter('amqp_messages_published_total', 'Messages published, by exchange (or queue, for the default exchange).');
  const publishFailed = counter('amqp_publish_failures_total', 'Publishes the broker did not confirm (nack, or the channel closed first).');
  const handled = counter('amqp_messages_handled_total', 'Deliveries settled, by outcome: ack, nack, reject, auto ack, channel closed...', ['destination', 'outcome']);
  const failed = counter('amqp_message_failures_total', 'Deliveries the program nacked or rejected, or that its channel lost.');
  const reconnects = counter('amqp_reconnects_total', 'Times the connection came back after being lost.', []);
  const handling = new client.Histogram({
    name: 'amqp_message_handling_seconds', help: 'From delivery to ack, nack or reject: how long the program took.',
    labelNames: ['destination'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30], registers: [registry],
  });
  subscribe('rabbit-tutorials:reconnect', () => reconnects.inc());

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

  const started = new WeakMap();
  return {
    publishHook: (_span, { exchange, routingKey }) => published.inc({ destination: destination(exchange, routingKey) }),
    publishConfirmHook: (_span, { exchange, routingKey, confirmError }) => {
      if (confirmError) publishFailed.inc({ destination: destination(exchange, routingKey) });
    },
    consumeHook: (_span, { msg }) => started.set(msg, process.hrtime.bigint()),
    consumeEndHook: (_span, { msg, rejected, endOperation }) => {
      const labels = { destination: destination(msg.fields.exchange, msg.fields.routingKey) };
      handled.inc({ ...labels, outcome: endOperation });
      if (rejected) failed.inc(labels);
      const start = started.get(msg);
      if (start !== undefined) handling.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    },
  };
}
