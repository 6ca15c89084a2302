// Delayed retry, the worker: a message whose handling fails for a while (a database down, a rate limit)
// is rejected, and the broker brings it back after 1 s, then 5 s, then 30 s (topology.ts); after the
// fourth failure it goes to retry.parked with the reason, for a person to look at (requeue-parked).
// Idempotent: a message id handled already is acked without doing the work again.
// Simulated failures: each "!" in a message fails one attempt ("pay!!" succeeds on the third); --fail-rate
// fails any attempt at random.
import { parseArgs } from 'node:util';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { UsageError, connect, describeError, intOption, loadConfig, log, main, printable, sendCopy, stop, untilShutdown } from '@rabbit-tutorials/connection';
import { HandledStore } from './handled-store.js';
import { ATTEMPT_QUEUES, DELAYS_MS, PARKED, declareRetryQueues } from './topology.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

main(`worker [--prefetch N] [--fail-rate 0..1] [--store FILE] [--crash-after-work] [--quiet]
Consumes "retry.work" and its retry queues: a failed attempt waits 1 s, 5 s, 30 s (retry.wait.*, dead-lettered
back to retry.work.after-*), the fourth failure goes to "retry.parked" with the reason. --prefetch (default 10),
--fail-rate (default 0), --store FILE (the handled ids, so a restart does not do them again).
Example: npx nx run retry:worker`, async () => {
  const { values } = parseArgs({ options: {
    prefetch: { type: 'string' }, 'fail-rate': { type: 'string' }, store: { type: 'string' }, 'crash-after-work': { type: 'boolean' }, quiet: { type: 'boolean' },
  } });
  const prefetch = intOption('prefetch', values.prefetch, 10, 1, 65535);
  const rate = values['fail-rate'];
  const failRate = rate === undefined ? 0 : rate.trim() === '' ? NaN : Number(rate); // Number(' ') would be 0
  if (!(failRate >= 0 && failRate <= 1)) throw new UsageError(`--fail-rate must be a number from 0 to 1 (got "${printable(values['fail-rate']!, 20)}")`);
  // --store FILE: the ids handled survive the worker (see handled-store.ts); --crash-after-work dies
  // right after the work, before the ack, to show what that buys.
  const handled = new HandledStore(values.store);
  const say = values.quiet ? undefined : console.log;
  const config = loadConfig();
  const parking = new Set<Promise<void>>();
  let channel: ConfirmChannel;
  let consumerTags: string[] = [];

  const connection = await connect({
    config,
    async setup(connection) {
      channel = await connection.createConfirmChannel(); // confirms: a parked copy is acked only once it is safe
      channel.on('error', (err) => stop(describeError(err)));
      await declareRetryQueues(channel);
      await channel.prefetch(prefetch); // per consumer: each attempt queue has its own
      consumerTags = [];
      for (const [i, queue] of ATTEMPT_QUEUES.entries()) {
        const { consumerTag } = await channel.consume(queue, (message) => {
          if (!message) return stop(`the broker cancelled the consumer of '${queue}' (was the queue deleted? or, from RabbitMQ 4.3, a message held unacked past its consumer timeout)`);
          handle(channel, message, i === ATTEMPT_QUEUES.length - 1);
        });
        consumerTags.push(consumerTag);
      }
      console.log(' [*] Waiting for messages. To exit press CTRL+C');
    },
  });

  function handle(channel: ConfirmChannel, message: ConsumeMessage, lastAttempt: boolean) {
    const id = message.properties.messageId as string | undefined;
    let text: string;
    try {
      if (!id || /[\t\n\r]/.test(id)) throw new Error('no usable message id: it could not be handled exactly once');
      text = utf8.decode(message.content);
    } catch (err) {
      return park(channel, message, (err as Error).message); // never retried: it cannot get better
    }
    if (handled.has(id)) { // delivered again after its work was done (a worker died before its ack)
      say?.(` [x] Skipped ${nameOf(message)}: handled already`); // with --quiet, not even named
      return channel.ack(message);
    }
    // The broker counts the waits in x-death: one entry per wait queue the message expired from. Anyone can
    // send any header: one that is not the broker's list of tables cannot be counted, so the message is parked.
    const deaths: unknown = message.properties.headers?.['x-death'] ?? [];
    if (!Array.isArray(deaths) || !deaths.every((d) => typeof d === 'object' && d !== null)) {
      return park(channel, message, 'a malformed x-death header: its attempts cannot be counted');
    }
    const waits = (deaths as { queue?: unknown; reason?: unknown; count?: unknown }[])
      .filter((d) => d.reason === 'expired' && typeof d.queue === 'string' && d.queue.startsWith('retry.wait.'));
    const attempt = 1 + waits.reduce((n, d) => n + (Number.isSafeInteger(d.count) && (d.count as number) > 0 ? d.count as number : 1), 0);
    try {
      const failures = text.split('!').length - 1;
      if (attempt <= failures || Math.random() < failRate) throw new Error('the service it needs is unavailable (simulated)');
    } catch (err) {
      const reason = (err as Error).message;
      if (lastAttempt) return park(channel, message, `failed ${attempt} times; the last: ${reason}`);
      log(`attempt ${attempt} for ${nameOf(message)} failed (${reason}); next in ${DELAYS_MS[attempt - 1]! / 1000} s`);
      return channel.reject(message, false); // requeue false: dead-lettered to the next wait queue
    }
    handled.record(id, `done: ${text}`); // the work's result with its id, before the ack
    say?.(` [x] Done ${nameOf(message)} on attempt ${attempt}`);
    if (values['crash-after-work']) process.kill(process.pid, 'SIGKILL'); // as if it died just before the ack
    channel.ack(message);
  }

  /** A message as every line names it, the same way: its text and its id, escaped and cut (anyone's text and id). */
  function nameOf(message: ConsumeMessage): string {
    const id = message.properties.messageId as unknown;
    return `${printable(message.content.toString(), 80)} (${id === undefined ? 'no id' : `id ${printable(String(id), 80)}`})`;
  }

  /** A copy to retry.parked with the reason, confirmed, then the ack: nothing is lost on the way. */
  function park(channel: ConfirmChannel, message: ConsumeMessage, reason: string) {
    sendCopy(channel, PARKED, message, { 'x-exception-message': reason });
    const done = channel.waitForConfirms().then(() => {
      channel.ack(message);
      log(`parked ${nameOf(message)} in '${PARKED}': ${reason}`);
    }, (err) => log(`could not park a message: ${describeError(err)}; the broker will deliver it again`))
      .finally(() => parking.delete(done));
    parking.add(done);
  }

  await untilShutdown(connection);
  for (const tag of consumerTags) await channel!.cancel(tag).catch(() => undefined); // no new messages
  await Promise.allSettled(parking);
  await channel!.close().catch(() => undefined); // its close-ok proves the broker has every ack
  await connection.close();
});
