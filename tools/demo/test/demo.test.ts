import { describe, expect, it } from 'vitest';
import { connect, loadConfig } from '@rabbit-tutorials/connection';
import { broker, brokerVersion, freePort, hasLocalRabbitmq, runApp, servesStreamClient, startApp, useVhost, versionAtLeast } from '@rabbit-tutorials/testing';

const vhost = useVhost();

describe('npm run demo', () => {
  it('runs every pattern end to end and exits 0', async () => {
    const result = await runApp('demo', 'tour', [], { ...vhost.env, RABBITMQ_MANAGEMENT_URL: broker().managementUrl });
    expect(result.code, result.stderr).toBe(0);
    for (const name of ['hello', 'task-queue', 'priority', 'single-active-consumer', 'retry', 'fanout-logs', 'direct-logs', 'topic-logs', 'headers-logs', 'rpc-fib', 'publisher-confirms', 'troubleshooting', 'streams', 'stream-filter', 'super-stream']) {
      expect(result.stdout).toMatch(new RegExp(`^\\d+\\. ${name}: `, 'm'));
    }
    expect(result.stdout).toMatch(/ \[\.\] Got 832040/);
    expect(result.stdout).toMatch(/receiver A \| \(killed\)\n    receiver B \|  \[\*\] B is the active consumer now\n/);
    // Urgent, sent behind 1,000 normal messages, within the first prefetch (5).
    expect(result.stdout).toMatch(/^(    priority worker \| .*\n){0,4}    priority worker \|  \[x\] Received 'urgent' \(priority 9\)$/m);
    expect(result.stdout).toMatch(/retry worker \| \[retry:worker\] attempt 2 for pay invoice 7!! \(id \S+\) failed .*; next in 5 s\n.*retry worker \|  \[x\] Done pay invoice 7!! \(id \S+\) on attempt 3/);
    expect(result.stdout).toMatch(/troubleshoot double-ack \|  \[!\] acked twice: unknown delivery tag 1: /);
    expect(result.stdout).toMatch(/stream-queue reader 2 \|  \[x\] Received message second entry \(offset 1\)/);
    // On a broker older than 3.11 the stream-protocol programs are said to be skipped, not "ok".
    const version = await brokerVersion();
    if (versionAtLeast(version, 3, 13)) expect(result.stdout).toMatch(/stream-filter receive --region us \|  \[\.\] The broker sent \d+ events for 2000 of region 'us'/);
    if (versionAtLeast(version, 3, 13)) expect(result.stdout).toMatch(/super-stream receive \|  \[x\] A received customer-0 #10 \(invoices-\d\)/);
    const skipped = [
      ...(Number(version.split('.')[0]) < 4 ? [`the quorum queue (RabbitMQ ${version} has no quorum queue priorities: a classic priority queue ran instead)`] : []),
      ...(servesStreamClient(version) ? [] : [`stream-hello and stream-offset-tracking (they need RabbitMQ 3.11 or later; this broker is ${version})`]),
      ...(versionAtLeast(version, 3, 13) ? [] : ['stream-filter', 'super-stream'].map((app) => `${app} (it needs RabbitMQ 3.13 or later; this broker is ${version})`)),
    ];
    expect(result.stdout.trim().split('\n').at(-1)).toBe(skipped.length === 0 ? 'All 15 patterns behaved as expected.'
      : `All 15 steps behaved as expected; skipped: ${skipped.join('; ')}.`);
  }, 120_000);

  it('exits 1 naming the pattern that failed', async () => {
    const closed = await freePort();
    const result = await runApp('demo', 'tour', [], {
      RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${closed}/`, RABBITMQ_MANAGEMENT_URL: `http://127.0.0.1:${closed}`,
      RABBITMQ_CONNECTION_ATTEMPTS: '1',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: the demo failed at hello: /m);
  });

  it.skipIf(!hasLocalRabbitmq())('Ctrl+C mid-tour stops its programs and the broker it started, and exits 130', async () => {
    const tour = startApp('demo', 'tour'); // no RABBITMQ_URL: a broker of its own (Docker, else the local rabbitmq-server)
    await tour.waitFor(/^1\. hello: /, 1, 120_000);
    const port = Number(/^Broker: .*AMQP (\d+)/m.exec(tour.stdout.join('\n'))![1]);
    tour.kill('SIGINT');
    expect((await tour.exited).code).toBe(130);
    expect(tour.stderr.join('\n')).toMatch(/SIGINT: stopping the tour and cleaning up/);
    expect(tour.stderr.join('\n')).not.toMatch(/^error:/m); // a step cut short is not a pattern that failed
    const refused = await connect({ config: loadConfig({ RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${port}/`, RABBITMQ_CONNECTION_ATTEMPTS: '1' }) })
      .then(() => 'connected', (e: Error) => e.message);
    expect(refused).toMatch(/connection refused/);
  }, 180_000);
});
