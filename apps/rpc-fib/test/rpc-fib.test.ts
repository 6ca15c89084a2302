import { describe, expect, it } from 'vitest';
import { eventually, runApp, startApp, useVhost } from '@rabbit-tutorials/testing';
import { FibonacciClient, RpcError, RpcTimeoutError } from '../src/concurrent-client.js';
import { MAX_N, fib } from '../src/fib.js';

const vhost = useVhost();

async function server(...args: string[]) {
  const app = startApp('rpc-fib', 'server', args, vhost.env);
  await app.waitFor(/Awaiting RPC requests/);
  return app;
}

describe('fib', () => {
  it('is exact for small and large n', () => {
    expect([0, 1, 2, 10, 30].map(fib)).toEqual([0n, 1n, 1n, 55n, 832040n]);
    expect(fib(100)).toBe(354224848179261915075n);
    expect(fib(MAX_N).toString()).toHaveLength(2090);
  });
});

describe('rpc-fib', () => {
  it('client -- 30 prints " [.] Got 832040" (direct reply-to and callback queue)', async () => {
    const srv = await server();
    const direct = await runApp('rpc-fib', 'client', ['30'], vhost.env);
    expect(direct).toMatchObject({ code: 0, stdout: ' [x] Requesting fib(30)\n [.] Got 832040' });
    const queue = await runApp('rpc-fib', 'client', ['--callback-queue', '10'], vhost.env);
    expect(queue).toMatchObject({ code: 0, stdout: ' [x] Requesting fib(10)\n [.] Got 55' });
    expect(srv.matching(/^ \[\.\] fib\(\d+\)$/)).toEqual([' [.] fib(30)', ' [.] fib(10)']);
  });

  it('1,000 concurrent calls on one connection each get their own answer', async () => {
    await server('--prefetch', '50', '--quiet');
    const client = await FibonacciClient.create(await vhost.connect());
    const ns = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1500);
    const answers = await Promise.all(ns.map((n) => client.fib(n)));
    expect(answers).toEqual(ns.map(fib));
    expect(client.ignoredReplies).toBe(0);
  });

  it('without a server: the call times out with a clear error; without its queue it fails at once', async () => {
    const missing = await runApp('rpc-fib', 'client', ['--timeout', '5000', '5'], vhost.env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("error: no queue 'rpc_queue' took the request: is the server running (it declares the queue)?");

    const connection = await vhost.connect();
    await (await connection.createChannel()).assertQueue('rpc_queue', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    const started = Date.now();
    const waited = await runApp('rpc-fib', 'client', ['--timeout', '400', '5'], vhost.env);
    expect(waited.code).toBe(1);
    expect(waited.stderr).toBe("error: no reply from 'rpc_queue' within 400 ms: is a server running?");
    expect(Date.now() - started).toBeLessThan(5000);
    // The request expired with the call: a server started later does not compute it for nobody.
    const channel = await connection.createChannel();
    await eventually(async () => (await channel.checkQueue('rpc_queue')).messageCount === 0, 10_000, 'the timed-out request to expire');
  });

  it('bad input gets an error reply; the server stays up and serves the next call', async () => {
    const srv = await server();
    const client = await FibonacciClient.create(await vhost.connect());
    for (const bad of ['abc', '-1', '1e3', '', '3.5', String(MAX_N + 1), '9'.repeat(400)]) {
      const err = await client.fib(bad).catch((e: unknown) => e);
      expect(err, bad).toBeInstanceOf(RpcError);
      expect((err as Error).message).toMatch(/^n must be (a whole number )?from 0 to 10000/);
    }
    expect(await client.fib(MAX_N)).toBe(fib(MAX_N));

    expect(srv.child.exitCode).toBeNull();
  });

  it('a request without reply_to is dropped (acked, not requeued for ever)', async () => {
    const srv = await server();
    const connection = await vhost.connect();
    const channel = await connection.createConfirmChannel();
    channel.sendToQueue('rpc_queue', Buffer.from('5'));
    await channel.waitForConfirms();
    await srv.waitFor(/dropped a request without reply_to/);
    await eventually(async () => (await channel.checkQueue('rpc_queue')).messageCount === 0);
  });

  it('ignores replies nobody waits for and times out calls on their own clock', async () => {
    const answering = await server();
    const connection = await vhost.connect();
    const client = await FibonacciClient.create(connection, { replyTo: 'exclusive' });
    const stray = await connection.createChannel();
    stray.sendToQueue(client.replyQueue, Buffer.from('42'), { correlationId: 'not-ours' });
    expect(await client.fib(12)).toBe(144n);
    await eventually(() => client.ignoredReplies === 1);
    answering.kill('SIGSTOP'); // a server that cannot answer in time (RabbitMQ 4 answers within a millisecond)
    const err = await client.fib(12, { timeoutMs: 50 }).catch((e: unknown) => e);
    answering.kill('SIGCONT');
    expect(err).toBeInstanceOf(RpcTimeoutError);
    // The request expired with the call (or its late answer is ignored): the client goes on working.
    expect(await client.fib(13)).toBe(233n);
    expect(client.ignoredReplies).toBeLessThanOrEqual(2);
  });

  it('a rogue server\'s replies are printed escaped: no terminal codes, no forged lines (client, many-calls)', async () => {
    const forged = '\x1b]0;OWNED\x07\x1b[2J\nerror: forged line\u202e';
    const escaped = '\\x1b]0;OWNED\\x07\\x1b[2J\\nerror: forged line\\u202e';
    const connection = await vhost.connect();
    const rogue = await connection.createChannel();
    await rogue.assertQueue('rpc_queue', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    let asError = false;
    await rogue.consume('rpc_queue', (request) => {
      if (!request) return;
      rogue.sendToQueue(request.properties.replyTo, Buffer.from(forged), { correlationId: request.properties.correlationId, type: asError ? 'error' : undefined });
      rogue.ack(request);
    });
    for (const error of [false, true]) {
      asError = error;
      const one = await runApp('rpc-fib', 'client', ['5'], vhost.env);
      expect(one.stdout.split('\n').concat(one.stderr.split('\n')).filter(Boolean)).toEqual(
        error ? [' [x] Requesting fib(5)', `error: ${escaped}`] : [' [x] Requesting fib(5)', ` [.] Got ${escaped}`]);
      const many = await runApp('rpc-fib', 'many-calls', ['5'], vhost.env);
      expect(many.code).toBe(1);
      expect(many.stderr.split('\n')).toEqual([error ? `error: ${escaped}` : `error: the reply is not a number: ${escaped}`]);
    }
  });

  it('a call with a shorter timeout fails on its own deadline while a longer one goes on waiting', async () => {
    const connection = await vhost.connect();
    await (await connection.createChannel()).assertQueue('unserved', { durable: true }); // no server consumes it
    const client = await FibonacciClient.create(connection, { queue: 'unserved', timeoutMs: 60_000 });
    const long = client.fib(5).catch((e: unknown) => e);
    const started = performance.now();
    const err = await client.fib(6, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcTimeoutError);
    expect((err as Error).message).toBe("no reply from 'unserved' within 300 ms: is a server running?");
    expect(performance.now() - started).toBeGreaterThanOrEqual(299); // timers run on the event loop's millisecond clock
    expect(performance.now() - started).toBeLessThan(10_000);
    const late = await client.fib(7, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(RpcTimeoutError);
    await client.close(); // the 60 s call was still waiting: it fails now
    expect(await long).toMatchObject({ message: 'the RPC client was closed' });
  });

  it('the server restarting while a client waits: the queued request is answered by the new server', async () => {
    const first = await server();
    await first.stop();
    const client = startApp('rpc-fib', 'client', ['--timeout', '30000', '25'], vhost.env);
    await client.waitFor(/Requesting fib\(25\)/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await server();
    const { code } = await client.exited;
    expect(code).toBe(0);
    expect(client.stdout).toContain(' [.] Got 75025');
  });

  it('usage errors exit 2', async () => {
    expect((await runApp('rpc-fib', 'client', ['1', '2'], vhost.env)).stderr).toBe('error: give one n\nusage: client [--timeout MS] [--callback-queue] [--queue NAME] <n>');
    expect((await runApp('rpc-fib', 'server', ['--prefetch', 'x'], vhost.env)).code).toBe(2);
  });

  it.each([['abc'], ['3.5'], ['1e309'], [''], ['10001']])('client %j: a usage error before connecting, exit 2, with the range the server accepts', async (n) => {
    // No broker at all: the check comes first.
    const result = await runApp('rpc-fib', 'client', [n], { RABBITMQ_URL: 'amqp://127.0.0.1:1/', RABBITMQ_CONNECTION_ATTEMPTS: '1' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: n must be (a whole number )?from 0 to 10000 \(got .*\)\nusage: client /);
  });

  it.each([['client', ['--queue', 'q'.repeat(256), '5']], ['server', ['--queue', 'q'.repeat(256)]], ['many-calls', ['--queue', 'q'.repeat(256), '5']]])(
    '%s --queue over 255 bytes: a usage error before connecting, exit 2', async (role, args) => {
      const result = await runApp('rpc-fib', role, args, { RABBITMQ_URL: 'amqp://127.0.0.1:1/', RABBITMQ_CONNECTION_ATTEMPTS: '1' });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^error: --queue is at most 255 bytes \(got 256\)\nusage: /);
    });

  it('many-calls: every n answered with its own result, then the summary; --quiet prints the summary only', async () => {
    await server('--prefetch', '10', '--quiet');
    const ns = ['5', '10', '20', '30', '7'];
    const many = await runApp('rpc-fib', 'many-calls', ['--in-flight', '3', ...ns], vhost.env);
    expect(many.code, many.stderr).toBe(0);
    const lines = many.stdout.split('\n');
    expect(lines.slice(0, -1).sort()).toEqual(ns.map((n) => ` [.] fib(${n}) = ${fib(Number(n))}`).sort());
    expect(lines.at(-1)).toMatch(/^5 calls, 3 in flight: \d+ calls\/s, round trip p50 [\d.]+ ms, p99 [\d.]+ ms$/);
    const quiet = await runApp('rpc-fib', 'many-calls', ['--quiet', '--in-flight', '32', ...Array(200).fill('30')], vhost.env);
    expect(quiet.stdout).toMatch(/^200 calls, 32 in flight: \d+ calls\/s, round trip p50 [\d.]+ ms, p99 [\d.]+ ms$/);
  });
});
