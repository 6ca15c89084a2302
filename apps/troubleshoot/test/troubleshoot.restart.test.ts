// The cases that need the broker itself to fail: shut down, frozen, out of memory, a consumer timeout.
// They run with the restart tests, alone: each disturbs every client of the broker.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { broker, brokerAtLeast, cannotRestart, rabbitmqctl, restart, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

describe('troubleshooting cases that need the broker to fail', () => {
  it('connection-lost: a broker shut down (320), then back; the program reconnects by itself', async (ctx) => {
    if (cannotRestart()) return ctx.skip(cannotRestart());
    const lost = startApp('troubleshoot', 'connection-lost', [], vhost.env);
    await lost.waitFor(/^ \[\*\] Connected/);
    await restart();
    await lost.waitFor(/^ \[!\] the broker closed the connection: broker forced connection closure with reason 'shutdown' \(320 CONNECTION_FORCED\)$/, 1, 30_000);
    await lost.waitFor(/^ \[✓\] fixed: reconnected by itself/, 1, 60_000);
    expect((await lost.exited).code).toBe(0);
  });

  it('connection-lost: a frozen broker is noticed within two heartbeat intervals, and the program recovers', async (ctx) => {
    const local = broker().restart;
    if (local?.kind !== 'local') return ctx.skip('freezing needs the broker process: a local node started by the tests');
    const pid = Number(readFileSync(join(local.spec.dir, 'rabbitmq.pid'), 'utf8'));
    const lost = startApp('troubleshoot', 'connection-lost', ['--heartbeat', '2'], { ...vhost.env, RABBITMQ_CONNECT_TIMEOUT_MS: '3000' });
    await lost.waitFor(/^ \[\*\] Connected \(heartbeat 2 s\)/);
    process.kill(pid, 'SIGSTOP');
    const frozen = Date.now();
    try {
      await lost.waitFor(/^ \[!\] the broker at .* stopped answering: no heartbeat for two intervals/, 1, 15_000);
      // Two heartbeat intervals of silence (the last frame came up to half an interval before the freeze).
      expect(Date.now() - frozen).toBeLessThanOrEqual(2 * 2000 + 500);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await lost.waitFor(/^ \[✓\] fixed: reconnected by itself/, 1, 60_000);
    expect((await lost.exited).code).toBe(0);
  });

  it('blocked: a memory alarm blocks the publisher, which goes on once it clears', async (ctx) => {
    if (cannotRestart()) return ctx.skip(cannotRestart());
    const publisher = startApp('troubleshoot', 'blocked', [], vhost.env);
    await publisher.waitFor(/^ \[\*\] Publishing once a second/);
    await rabbitmqctl('set_vm_memory_high_watermark', '0.0000001');
    try {
      await publisher.waitFor(/^ \[!\] the broker blocks publishing \(low on memory\)/, 1, 15_000);
    } finally {
      await rabbitmqctl('set_vm_memory_high_watermark', '0.4');
    }
    await publisher.waitFor(/^ \[✓\] fixed: the alarm cleared/, 1, 15_000);
    expect((await publisher.exited).code).toBe(0);
  });

  it('consumer-timeout: a message held unacked past the consumer timeout closes the channel (406), or from RabbitMQ 4.3 cancels the consumer; acked in time it is done', async (ctx) => {
    if (cannotRestart()) return ctx.skip(cannotRestart());
    // Brokers before 3.12 ignore x-consumer-timeout: lower their global timeout for this case, and
    // check it every second (channels check it on their tick, once a minute by default).
    await rabbitmqctl('eval', 'application:set_env(rabbit, consumer_timeout, 3000), application:set_env(rabbit, channel_tick_interval, 1000).');
    try {
      const consumer = startApp('troubleshoot', 'consumer-timeout', ['--timeout-ms', '3000'], vhost.env);
      // RabbitMQ 4.3 cancels the consumer; before, the broker closed the channel.
      await consumer.waitFor(await brokerAtLeast(4, 3)
        ? /^ \[!\] the broker cancelled the consumer: a delivery was not acked within its consumer timeout \(3000 ms asked\); the message goes back to the queue; ack sooner, or raise consumer_timeout \(basic\.cancel\)$/
        : /^ \[!\] a delivery was not acked within the broker's consumer timeout \(3000 ms\): the broker closed the channel and delivers the message again; ack sooner, or raise consumer_timeout \(406 PRECONDITION_FAILED\)$/, 1, 90_000);
      await consumer.waitFor(/^ \[✓\] fixed: acked in time: 'slow work' \(redelivered: true\)$/);
      expect((await consumer.exited).code).toBe(0);
    } finally {
      // Back to RabbitMQ's defaults (unsetting them would break new channels).
      await rabbitmqctl('eval', 'application:set_env(rabbit, consumer_timeout, 1800000), application:set_env(rabbit, channel_tick_interval, 60000).');
    }
  }, 120_000);
});
