// Tracing across processes: the programs export their spans (OTLP over HTTP, JSON) to a collector in
// this test, which proves one trace from producer to consumer, and from RPC client to server and back.
import { execFile } from 'node:child_process';
import { type Server, createServer } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startApp, runApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();
const execNode = promisify(execFile);

interface Span { service: string; traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes: Record<string, unknown> }
const spans: Span[] = [];
let collector: Server;
let endpoint = '';

beforeAll(async () => {
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      for (const resource of JSON.parse(body).resourceSpans ?? []) {
        const service = resource.resource.attributes.find((a: { key: string }) => a.key === 'service.name')?.value.stringValue;
        for (const scope of resource.scopeSpans) {
          for (const s of scope.spans) {
            const attributes = Object.fromEntries(s.attributes.map((a: { key: string; value: Record<string, unknown> }) => [a.key, Object.values(a.value)[0]]));
            spans.push({ service, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, name: s.name, kind: s.kind, attributes });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(collector.address() as { port: number }).port}/v1/traces`;
});
afterAll(() => new Promise<void>((resolve) => collector.close(() => resolve())));

/** The environment that turns tracing on for one program, named `service`. */
const traced = (service: string) => ({
  ...vhost.env,
  NODE_OPTIONS: '--import @rabbit-tutorials/telemetry/register',
  OTEL_TRACES_EXPORTER: 'otlp',
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint,
  OTEL_SERVICE_NAME: service,
  OTEL_BSP_SCHEDULE_DELAY: '100',
});
const PRODUCER = 4;
const CONSUMER = 5;

describe('tracing (OpenTelemetry, amqplib instrumentation)', () => {
  it('new-task → worker: the worker\'s span continues the producer\'s trace, through the message headers', async () => {
    const service = (role: string) => `${role}-${vhost.name}`;
    const worker = startApp('task-queue', 'worker', ['--dot-ms', '0'], traced(service('worker')));
    await worker.waitFor(/Waiting for messages/);
    expect((await runApp('task-queue', 'new-task', ['traced'], traced(service('new-task')))).code).toBe(0);
    await worker.waitFor(/Done traced/);
    let pair: [Span, Span] | undefined;
    await eventually(async () => {
      const published = spans.find((s) => s.service === service('new-task') && s.kind === PRODUCER);
      const handled = published && spans.find((s) => s.service === service('worker') && s.kind === CONSUMER && s.traceId === published.traceId);
      pair = handled ? [published!, handled] : undefined;
      return pair !== undefined;
    }, 15_000, 'both spans to reach the collector');
    const [published, handled] = pair!;
    expect(handled.parentSpanId).toBe(published.spanId);
    expect(published.attributes['messaging.system']).toBe('rabbitmq');
    expect(published.attributes['messaging.rabbitmq.routing_key']).toBe('task_queue');
    expect(handled.attributes).toMatchObject({ 'messaging.system': 'rabbitmq', 'messaging.operation': 'process', 'messaging.rabbitmq.routing_key': 'task_queue' });
  });

  it('a trace the sampler leaves out is not recorded, and its context still goes with the message (flag 00)', async () => {
    const service = `new-task-unsampled-${vhost.name}`;
    const run = await runApp('task-queue', 'new-task', ['not recorded'], { ...traced(service), OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' });
    expect(run.code, run.stderr).toBe(0);
    const channel = await (await vhost.connect()).createChannel();
    let [body, traceparent] = ['', ''];
    await eventually(async () => {
      const message = await channel.get('task_queue', { noAck: true });
      if (message) [body, traceparent] = [message.content.toString(), String(message.properties.headers?.traceparent)];
      return message !== false;
    }, 10_000, 'the task in the queue');
    expect(body).toBe('not recorded');
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    // A recorded span is exported before the program exits (register.mjs flushes on beforeExit).
    expect(spans.filter((s) => s.service === service)).toEqual([]);
  });

  it('parent-based sampling: a request whose trace was left out is served without a span, and the reply goes on in its trace, flag 00', async () => {
    const service = `server-parent-based-${vhost.name}`;
    const server = startApp('rpc-fib', 'server', [], { ...traced(service), OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' });
    await server.waitFor(/Awaiting RPC requests/);
    const channel = await (await vhost.connect()).createChannel();
    const { queue: replyTo } = await channel.assertQueue('', { exclusive: true });
    const hex = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');
    /** One request carrying a trace context of the test's own; the reply's trace header. */
    const call = async (traceId: string, spanId: string, flags: string) => {
      channel.sendToQueue('rpc_queue', Buffer.from('10'), { correlationId: traceId, replyTo, headers: { traceparent: `00-${traceId}-${spanId}-${flags}` } });
      let reply: string | undefined;
      await eventually(async () => {
        const message = await channel.get(replyTo, { noAck: true });
        if (message) reply = String(message.properties.headers?.traceparent);
        return message !== false;
      }, 10_000, 'the reply');
      return reply!;
    };
    const [leftOut, recorded] = [hex(32), hex(32)];
    expect(await call(leftOut, hex(16), '00')).toMatch(new RegExp(`^00-${leftOut}-[0-9a-f]{16}-00$`));
    const parent = hex(16);
    const reply = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(await call(recorded, parent, '01'));
    expect(reply?.[1]).toBe(recorded);
    // The recorded request: the server's span is a child of the test's, and the reply's parent is its publish span.
    await eventually(async () => spans.filter((s) => s.service === service && s.traceId === recorded).length === 2, 15_000, 'the recorded request\'s two spans');
    const served = spans.find((s) => s.service === service && s.traceId === recorded && s.kind === CONSUMER)!;
    expect(served.parentSpanId).toBe(parent);
    expect(spans.find((s) => s.service === service && s.traceId === recorded && s.kind === PRODUCER)?.spanId).toBe(reply![2]);
    // Exported in order: nothing was recorded for the request that came first.
    expect(spans.filter((s) => s.traceId === leftOut)).toEqual([]);
  });

  it('a publish without headers of its own gets the trace header; the caller\'s options are left as they were', async () => {
    for (const sampler of [{ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }, {}]) {
      const service = `publish-options-${Object.keys(sampler).length}-${vhost.name}`;
      // Not spawnSync: the collector in this process must answer the program's export.
      const { stdout } = await execNode(process.execPath, [join(import.meta.dirname, 'fixtures/publish-options.mjs')],
        { env: { ...process.env, ...traced(service), ...sampler }, timeout: 30_000 });
      const { messages, options, own } = JSON.parse(stdout);
      const flags = Object.keys(sampler).length > 0 ? '00' : '01';
      expect(messages.map((m: { body: string }) => m.body)).toEqual(['a', 'b', 'c', 'd']);
      const traceIds = messages.map((m: { headers: Record<string, string> }) => new RegExp(`^00-([0-9a-f]{32})-[0-9a-f]{16}-${flags}$`).exec(String(m.headers.traceparent))?.[1]);
      expect(new Set(traceIds).size, JSON.stringify(messages)).toBe(4); // four publishes, four traces
      expect(messages.map((m: { headers: Record<string, string> }) => Object.keys(m.headers).sort())).toEqual([['traceparent'], ['traceparent'], ['level', 'traceparent'], ['traceparent']]);
      expect(options).toEqual({ correlationId: 'reused' });
      expect(own.headers.level).toBe('info');
      if (flags === '01') {
        await eventually(async () => traceIds.every((id: string) => spans.some((s) => s.service === service && s.kind === PRODUCER && s.traceId === id)), 15_000, 'four publish spans');
      } else {
        expect(spans.filter((s) => s.service === service)).toEqual([]);
      }
    }
  });

  it('emit → every receiver: each receiver\'s span is a child of the one publish span', async () => {
    const service = (role: string) => `${role}-${vhost.name}`;
    const receivers = ['a', 'b'].map((id) => startApp('fanout-logs', 'receive', [], traced(service(`receive-${id}`))));
    for (const receiver of receivers) await receiver.waitFor(/Waiting for logs/);
    expect((await runApp('fanout-logs', 'emit', ['traced log'], traced(service('emit')))).code).toBe(0);
    for (const receiver of receivers) await receiver.waitFor(/traced log/);
    let published: Span | undefined;
    await eventually(async () => {
      published = spans.find((s) => s.service === service('emit') && s.kind === PRODUCER);
      return published !== undefined && ['a', 'b'].every((id) => spans.some((s) => s.service === service(`receive-${id}`) && s.traceId === published!.traceId));
    }, 15_000, 'the publish span and both receivers\' spans');
    for (const id of ['a', 'b']) {
      const handled = spans.find((s) => s.service === service(`receive-${id}`) && s.kind === CONSUMER)!;
      expect(handled.parentSpanId).toBe(published!.spanId);
      expect(handled.attributes['messaging.destination']).toBe('logs');
    }
  });

  it('rpc client → server → reply: the server\'s span is a child of the client\'s, in one trace', async () => {
    const service = (role: string) => `${role}-${vhost.name}`;
    const server = startApp('rpc-fib', 'server', [], traced(service('server')));
    await server.waitFor(/Awaiting RPC requests/);
    expect((await runApp('rpc-fib', 'client', ['10'], traced(service('client')))).code).toBe(0);
    let found: { request: Span; served: Span } | undefined;
    await eventually(async () => {
      const request = spans.find((s) => s.service === service('client') && s.kind === PRODUCER);
      const served = request && spans.find((s) => s.service === service('server') && s.kind === CONSUMER && s.traceId === request.traceId);
      found = served ? { request: request!, served } : undefined;
      return found !== undefined;
    }, 15_000, 'the client\'s and the server\'s spans');
    expect(found!.served.parentSpanId).toBe(found!.request.spanId);
    // Both ends name the call by its correlation id.
    expect(found!.request.attributes['messaging.conversation_id']).toEqual(expect.any(String));
    expect(found!.served.attributes['messaging.conversation_id']).toBe(found!.request.attributes['messaging.conversation_id']);
    expect(found!.served.name).toBe('rpc_queue process');
    // The reply, published while handling the request, is in the same trace.
    expect(spans.some((s) => s.service === service('server') && s.kind === PRODUCER && s.traceId === found!.request.traceId)).toBe(true);
  });

  it('headers-logs emit prints the headers the user gave, not the trace header tracing adds to the message', async () => {
    const sent = await runApp('headers-logs', 'emit', ['-H', 'level=error', 'traced'], traced(`emit-${vhost.name}`));
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toBe(' [x] Sent {"level":"error"}:traced');
  });
});

describe('telemetry never fails a program that worked', () => {
  /** Tracing on, to an OTLP endpoint where nothing listens (a collector not up yet, or none). */
  const noCollector = async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    return { ...vhost.env, NODE_OPTIONS: '--import @rabbit-tutorials/telemetry/register', OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_BSP_SCHEDULE_DELAY: '100', port: String(port) };
  };
  const warnings = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('[telemetry]'));

  it('no collector: a send sends and exits 0, with one warning naming the endpoint and no error about the broker', async () => {
    const { port, ...env } = await noCollector();
    const sent = await runApp('hello', 'send', ['no collector'], env);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toBe(" [x] Sent 'no collector'");
    expect(warnings(sent.stderr)).toEqual([`[telemetry] warning: cannot export traces to http://127.0.0.1:${port}/v1/traces (ECONNREFUSED); the program goes on without them`]);
    expect(sent.stderr).not.toMatch(/^error:/m);
  });

  it('no collector: a receiver receives, and stops on SIGTERM with exit 0', async () => {
    const { port: _port, ...env } = await noCollector();
    const receiver = startApp('hello', 'receive', [], env);
    await receiver.waitFor(/Waiting for messages/);
    expect((await runApp('hello', 'send', ['while none listens'], env)).code).toBe(0);
    await receiver.waitFor(/Received 'while none listens'/);
    const { code } = await receiver.stop('SIGTERM');
    expect(code, receiver.stderr.join('\n')).toBe(0);
    expect(warnings(receiver.stderr.join('\n')).length).toBeLessThanOrEqual(1);
    expect(receiver.stderr.join('\n')).not.toMatch(/^error:/m);
  });

  it('an unknown OTEL_TRACES_EXPORTER is said in one line, and ignored', async () => {
    const sent = await runApp('hello', 'send', ['bogus'], { ...vhost.env, NODE_OPTIONS: '--import @rabbit-tutorials/telemetry/register', OTEL_TRACES_EXPORTER: 'bogus' });
    expect(sent.code, sent.stderr).toBe(0);
    expect(warnings(sent.stderr)).toEqual(['[telemetry] warning: OTEL_TRACES_EXPORTER: "bogus" is not otlp, console, zipkin or none: ignored']);
  });
});
