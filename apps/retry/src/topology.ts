// The queues of delayed retry, declared by every role (the same arguments each time, or the broker
// refuses the declare). A failed message is rejected, never republished: the broker itself moves it
// along, so it is never lost or doubled on the way, and the x-death header it adds counts the attempts.
//
//   retry.work --reject--> retry.wait.1s --1 s--> retry.work.after-1s --reject--> retry.wait.5s --5 s-->
//   retry.work.after-5s --reject--> retry.wait.30s --30 s--> retry.work.after-30s --last failure--> retry.parked
//
// Each delay has a queue of its own (x-message-ttl), so a message never waits behind a longer delay.
// All are durable quorum queues with at-least-once dead-lettering: a move is confirmed between the
// two queues, across a broker restart too (it needs x-overflow reject-publish).
import type { Channel, Options } from 'amqplib';

export const WORK = 'retry.work';
export const PARKED = 'retry.parked';
/** The waits before the second, third and fourth attempt. */
export const DELAYS_MS = [1000, 5000, 30_000];

const waitQueue = (ms: number) => `retry.wait.${ms / 1000}s`;
/** The queues consumed, in attempt order: retry.work, then one per delay. */
export const ATTEMPT_QUEUES = [WORK, ...DELAYS_MS.map((ms) => `retry.work.after-${ms / 1000}s`)];

const quorum = (deadLetterTo: string, extra: Options.AssertQueue['arguments'] = {}): Options.AssertQueue => ({
  durable: true,
  arguments: {
    'x-queue-type': 'quorum',
    'x-dead-letter-exchange': '', // the default exchange: straight to the queue named by the routing key
    'x-dead-letter-routing-key': deadLetterTo,
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
    ...extra,
  },
});

/** The work queue, as a producer declares it before publishing. */
export const workQueue = () => quorum(waitQueue(DELAYS_MS[0]!), { 'x-delivery-limit': 5 });

/** The parking lot. requeue-parked --list returns what it reads: a high delivery limit, or RabbitMQ 4
 *  (default limit 20) would drop a message listed 20 times. */
export const parkedQueue = (): Options.AssertQueue => ({ durable: true, arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 1_000_000 } });

/** Every queue of the chain: what the worker declares. */
export async function declareRetryQueues(channel: Channel): Promise<void> {
  await channel.assertQueue(PARKED, parkedQueue());
  for (const [i, queue] of ATTEMPT_QUEUES.entries()) {
    const delay = DELAYS_MS[i];
    // A message that crashed its worker 5 times (x-delivery-limit) moves on as a failed attempt;
    // the last queue's goes to the parking lot.
    await channel.assertQueue(queue, quorum(delay === undefined ? PARKED : waitQueue(delay), { 'x-delivery-limit': 5 }));
    if (delay !== undefined) await channel.assertQueue(waitQueue(delay), quorum(ATTEMPT_QUEUES[i + 1]!, { 'x-message-ttl': delay }));
  }
}
