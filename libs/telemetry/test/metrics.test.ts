// The programs' /metrics (METRICS_PORT): the counts match the messages sent, a nacked message is a
// failure, a reconnect is counted; the server listens on loopback only, and bad settings are one line.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually, freePort, listeners, management, runApp, startApp, uniqueName, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();
const PRELOAD = { NODE_OPTIONS: '--import @rabbit-tutorials/telemetry/register' };

/** The value of one sample (name and labels as written in the exposition), or undefined. */
async function sample(port: number, series: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics (prom-client, METRICS_PORT)', () => {
  it('is served by the main thread only: the preload run again in a worker thread (as newer Node does for the thread of module hooks) starts nothing', async () => {
    const port = await freePort();
    // A main thread that serves /metrics, then a worker that loads the same preload, as tsx's hooks thread does under Node 24.
    const script = `import('@rabbit-tutorials/telemetry/register').then(() => new (require('node:worker_threads').Worker)(
      "import('@rabbit-tutorials/telemetry/register').then(() => console.log('worker loaded it'))", { eval: true }).on('exit', (code) => console.log('worker exit', code)));`;
    const run = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, METRICS_PORT: String(port) }, encoding: 'utf8', timeout: 20_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toBe(`[metrics] http://127.0.0.1:${port}/metrics\n`);
    expect(run.stdout).toBe('worker loaded it\nworker exit 0\n');
  });

  it('hello receive: acked and nacked deliveries, handling times and a reconnect, on 127.0.0.1 only', async () => {
    const port = await freePort();
    const name = uniqueName('metrics-receive');
    const receiver = startApp('hello', 'receive', [], { ...vhost.env, ...PRELOAD, METRICS_PORT: String(port), RABBITMQ_CONNECTION_NAME: name });
    await receiver.waitFor(/Waiting for messages/);
    await receiver.waitFor(new RegExp(`^\\[metrics\\] http://127\\.0\\.0\\.1:${port}/metrics$`));
    if (existsSync('/proc/net/tcp')) expect(listeners(port)).toEqual(['127.0.0.1']);

    for (const text of ['one', 'two', 'three']) expect((await runApp('hello', 'send', [text], vhost.env)).code).toBe(0);
    const channel = await (await vhost.connect()).createConfirmChannel();
    channel.sendToQueue('hello', Buffer.from([0xff, 0xfe])); // not UTF-8: the receiver nacks it
    await channel.waitForConfirms();
    await eventually(async () => (await sample(port, 'amqp_messages_handled_total{destination="hello",outcome="nack"}')) === 1, 10_000, 'the nack counted');
    expect(await sample(port, 'amqp_messages_handled_total{destination="hello",outcome="ack"}')).toBe(3);
    expect(await sample(port, 'amqp_message_failures_total{destination="hello"}')).toBe(1);
    expect(await sample(port, 'amqp_message_handling_seconds_count{destination="hello"}')).toBe(4);
    expect(await sample(port, 'amqp_reconnects_total')).toBe(0);

    // The broker closes the receiver's connection: it reconnects by itself, and the metric says so.
    const api = management();
    let listed: string | undefined;
    await eventually(async () => {
      listed = (await api.connections()).find((c) => c.client_properties?.connection_name === name)?.name;
      return listed !== undefined;
    }, 10_000, 'the connection listed');
    await api.request('DELETE', `/connections/${encodeURIComponent(listed!)}`);
    await receiver.waitFor(/reconnected to amqp:\/\/\S+; topology and consumers restored/, 1, 30_000);
    expect(await sample(port, 'amqp_reconnects_total')).toBe(1);
    expect(await sample(port, 'process_cpu_seconds_total')).toBeGreaterThan(0); // prom-client's default metrics
  });

  it('counts every way a delivery is settled: ack of all up to one, nack, reject, a channel closed with one unsettled, auto ack', async () => {
    const port = await freePort();
    const queue = uniqueName('metrics-settle');
    const run = spawnSync(process.execPath, ['--import', '@rabbit-tutorials/telemetry/register', join(import.meta.dirname, 'fixtures/settle.mjs'), queue],
      { env: { ...process.env, ...vhost.env, METRICS_PORT: String(port) }, encoding: 'utf8', timeout: 30_000 });
    expect(run.status, run.stderr).toBe(0);
    const value = (series: string) => Number(run.stdout.split('\n').find((l) => l.startsWith(`${series} `))?.slice(series.length + 1));
    const d = `destination="${queue}"`;
    expect(value(`amqp_messages_published_total{${d}}`)).toBe(8);
    for (const [outcome, n] of [['ack', 3], ['nack', 1], ['reject', 1], ['channel closed', 1], ['auto ack', 3]] as const) {
      expect(value(`amqp_messages_handled_total{${d},outcome="${outcome}"}`), outcome).toBe(n);
    }
    expect(value(`amqp_message_failures_total{${d}}`)).toBe(3);
    expect(value(`amqp_message_handling_seconds_count{${d}}`)).toBe(9);
    // Handling times: the six held 60 ms are above 0.05 s, the three auto acks below; buckets count up.
    const bucket = (le: string) => value(`amqp_message_handling_seconds_bucket{${d},le="${le}"}`);
    expect(bucket('0.05')).toBe(3);
    expect(bucket('30')).toBe(9);
    expect(bucket('+Inf')).toBe(9);
    const les = ['0.001', '0.005', '0.01', '0.05', '0.1', '0.5', '1', '5', '10', '30'].map(bucket);
    expect(les).toEqual([...les].sort((a, b) => a - b));
    expect(value(`amqp_message_handling_seconds_sum{${d}}`)).toBeGreaterThanOrEqual(6 * 0.06);
  });

  it('rpc server: requests handled and replies published, one each per call', async () => {
    const port = await freePort();
    const server = startApp('rpc-fib', 'server', [], { ...vhost.env, ...PRELOAD, METRICS_PORT: String(port) });
    await server.waitFor(/Awaiting RPC requests/);
    for (const n of ['5', '10', '20']) expect((await runApp('rpc-fib', 'client', [n], vhost.env)).code).toBe(0);
    await eventually(async () => (await sample(port, 'amqp_messages_handled_total{destination="rpc_queue",outcome="ack"}')) === 3, 10_000, 'three requests');
    // Each client has its own reply queue: they count as one destination.
    expect(await sample(port, 'amqp_messages_published_total{destination="amq.rabbitmq.reply-to"}')).toBe(3);
  });

  it('rpc server: replies to 300 different reply_to queues make at most 100 destinations and one "(other)", not 300 series', async () => {
    const port = await freePort();
    const server = startApp('rpc-fib', 'server', ['--quiet', '--prefetch', '50'], { ...vhost.env, ...PRELOAD, METRICS_PORT: String(port) });
    await server.waitFor(/Awaiting RPC requests/);
    const channel = await (await vhost.connect()).createChannel();
    for (let i = 0; i < 300; i++) channel.sendToQueue('rpc_queue', Buffer.from('1'), { replyTo: `reply-${i}`, correlationId: String(i) });
    await eventually(async () => (await sample(port, 'amqp_messages_handled_total{destination="rpc_queue",outcome="ack"}')) === 300, 20_000, '300 requests');
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const published = text.split('\n').filter((l) => l.startsWith('amqp_messages_published_total{'));
    expect(published.length).toBeLessThanOrEqual(101);
    expect(await sample(port, 'amqp_messages_published_total{destination="(other)"}')).toBeGreaterThanOrEqual(200);
  });

  it('a short program with METRICS_PORT still ends when its work is done; a bad port is one line', async () => {
    const port = await freePort();
    const sent = await runApp('hello', 'send', ['short'], { ...vhost.env, ...PRELOAD, METRICS_PORT: String(port) });
    expect(sent.code, sent.stderr).toBe(0);

    const bad = await runApp('hello', 'send', ['x'], { ...vhost.env, ...PRELOAD, METRICS_PORT: 'nine' });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('error: METRICS_PORT must be a whole number from 0 to 65535 (got "nine")');

    // METRICS_HOST asks for other interfaces (in a container: 0.0.0.0, for Prometheus).
    const taken = startApp('hello', 'receive', [], { ...vhost.env, ...PRELOAD, METRICS_PORT: String(port), METRICS_HOST: '0.0.0.0' });
    await taken.waitFor(new RegExp(`^\\[metrics\\] http://0\\.0\\.0\\.0:${port}/metrics$`));
    if (existsSync('/proc/net/tcp')) expect(listeners(port)).toEqual(['0.0.0.0']);
    const clash = await runApp('hello', 'send', ['x'], { ...vhost.env, ...PRELOAD, METRICS_PORT: String(port) });
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain(`error: METRICS_PORT ${port} on 127.0.0.1: the port is in use`);
    expect(clash.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
