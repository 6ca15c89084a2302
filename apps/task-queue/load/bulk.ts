// many-tasks --count N: N numbered persistent tasks ("<text> #1" ... "#N", message ids 1..N), with
// publisher confirms pipelined: up to `window` tasks await their confirm at once, so the producer
// neither waits for each confirm nor holds everything in memory. If the connection is lost (e.g. a
// broker restart, a cluster node's death) it reconnects and publishes again every task not confirmed
// yet; so it does when the broker refuses a task (a nack: a quorum queue without a leader for a moment),
// after a pause. At least once: a task whose confirm was lost in the cut is published twice (workers
// can deduplicate by message id).
import type { ConfirmChannel, Options } from 'amqplib';
import { BrokerError, connect, log } from '@rabbit-tutorials/connection';

interface Progress { confirmed: number; lastLog: number; lastConfirmAt?: number; lostAt?: number; refusals: number; lastAnswer: number; sends: Uint8Array }

const STALL_MS = 15_000;
const SENT = 2;
const CONFIRMED = 1;

/** Closes the connection, waiting 2 s at most: a broker that stopped answering may never send close-ok. */
async function closeSoon(connection: { close(): Promise<void> }): Promise<void> {
  await Promise.race([connection.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
}

/** A round that ends this way is worth another: on a new connection, with the tasks not confirmed yet. */
class RoundFailed extends Error {}

export async function publishNumbered(queue: string, queueOptions: Options.AssertQueue, text: string, count: number, window: number): Promise<void> {
  const confirmed = new Uint8Array(count); // task i: 0 not sent, SENT, then CONFIRMED by the broker
  // lostAt: the last confirm before a round failed; refusals: rounds in a row ended by a nack (the pause
  // doubles); sends: how often each task was published (up to 255).
  const progress: Progress = { confirmed: 0, lastLog: 0, refusals: 0, lastAnswer: Date.now(), sends: new Uint8Array(count) };
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort()).once('SIGTERM', () => abort.abort());
  let started: number | undefined; // the rate counts publishing, not connecting
  for (;;) {
    const connection = await connect({ name: 'task-queue-many-tasks' });
    // A broker that stops answering (a declare or confirms that never come, seen on a cluster node just
    // after another died) would hold the producer for ever: no answer for STALL_MS ends the round. Not
    // while the broker blocks publishing on purpose (an alarm: connect() gives up on that itself).
    let blocked = false;
    connection.on('blocked', () => (blocked = true)).on('unblocked', () => (blocked = false));
    progress.lastAnswer = Date.now();
    let watchdog: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      watchdog = setInterval(() => {
        if (blocked) progress.lastAnswer = Date.now();
        else if (Date.now() - progress.lastAnswer > STALL_MS) reject(new RoundFailed(`no answer from the broker for ${STALL_MS / 1000} s`));
      }, 500);
    });
    stalled.catch(() => undefined); // it may fire while the round is over and nobody waits on it
    let pause = 0; // before the next round, once this connection is closed
    try {
      const round = (async () => {
        const channel = await connection.createConfirmChannel();
        channel.on('error', () => undefined); // the 'close' that follows ends this round
        await channel.assertQueue(queue, queueOptions);
        started ??= performance.now();
        await publishRound(channel, queue, text, confirmed, progress, window, abort.signal);
      })();
      round.catch(() => undefined); // a round given up on by the watchdog ends with its connection
      await Promise.race([round, stalled]);
      break;
    } catch (err) {
      if (abort.signal.aborted || !(err instanceof RoundFailed || /closed/.test((err as Error).message))) throw err;
      progress.lostAt ??= progress.lastConfirmAt ?? started ?? performance.now();
      // At most 1 s: a new leader takes over within a second or so, and a longer pause only adds to the gap.
      pause = /nack/.test((err as Error).message) ? Math.min(1000, 100 * 2 ** progress.refusals++) : 0;
      // Sent and not confirmed: the broker may have these, each once per time it was sent.
      let resent = 0;
      let most = 0;
      confirmed.forEach((state, i) => state === SENT && (resent++, most = Math.max(most, progress.sends[i]!)));
      log(`${(err as Error).message}; reconnecting${pause ? ` in ${pause} ms` : ''} to publish the ${count - progress.confirmed} tasks not confirmed yet` +
        ` (${resent} of them sent already${most > 1 ? `, some ${most === 255 ? '255 or more' : most} times` : ''}: they may arrive ${most > 1 ? 'more than once' : 'twice'})`);
    } finally {
      clearInterval(watchdog);
      await closeSoon(connection);
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
  log(`confirmed ${progress.confirmed}/${count}`);
  if (abort.signal.aborted) throw new BrokerError(`interrupted: ${progress.confirmed} of ${count} tasks confirmed`, true);
  const seconds = (performance.now() - started!) / 1000;
  console.log(` [x] Sent ${count} tasks, all confirmed, in ${seconds.toFixed(2)} s (${Math.round(count / seconds)} msg/s)`);
}

/** Publishes every task not confirmed yet, at most `window` unconfirmed at once; resolves when all are confirmed. */
async function publishRound(channel: ConfirmChannel, queue: string, text: string, confirmed: Uint8Array,
  progress: Progress, window: number, signal: AbortSignal): Promise<void> {
  let inFlight = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined; // resolves a wait for room in the window, or for 'drain'
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const waitUntil = (ready: () => boolean) => new Promise<void>((resolve) => {
    wake = resolve;
    if (ready() || failure) notify();
  });
  // A closed channel never confirms nor drains: fail the round instead of waiting for ever.
  const onClose = () => {
    failure ??= new RoundFailed('the channel closed before every task was confirmed');
    notify();
  };
  channel.once('close', onClose);
  const send = (i: number): boolean => {
    inFlight++;
    confirmed[i] = SENT;
    progress.sends[i] = Math.min(255, progress.sends[i]! + 1);
    return channel.sendToQueue(queue, Buffer.from(`${text} #${i + 1}`), { persistent: true, messageId: String(i + 1) }, (err) => {
      inFlight--;
      progress.lastAnswer = Date.now();
      if (!err) {
        if (confirmed[i] !== CONFIRMED) progress.confirmed++;
        confirmed[i] = CONFIRMED;
        progress.refusals = 0;
        progress.lastConfirmAt = performance.now();
        if (progress.lostAt !== undefined) {
          log(`confirmed again ${Math.round(progress.lastConfirmAt - progress.lostAt)} ms after the last confirm before the interruption`);
          progress.lostAt = undefined;
        }
        if (Date.now() - progress.lastLog >= 1000) {
          progress.lastLog = Date.now();
          log(`confirmed ${progress.confirmed}/${confirmed.length}`);
        }
      } else {
        // A nack: the broker could not take it now (on RabbitMQ 3.10, a channel opened while a quorum queue
        // elected a new leader goes on refusing): a new round, on a new channel, publishes it again.
        failure ??= new RoundFailed(err.message === 'message nacked' ? `the broker refused task ${i + 1} (nack)`
          : 'the channel closed before every task was confirmed'); // amqplib fails pending confirms with 'channel closed'
      }
      notify();
    });
  };
  try {
    for (let i = 0; i < confirmed.length && !signal.aborted && !failure; i++) {
      if (confirmed[i] === CONFIRMED) continue;
      // Socket back-pressure: wait for 'drain' (or the close that ends the round) before writing more.
      if (!send(i)) await new Promise<void>((resolve) => {
        const done = () => (channel.off('drain', done).off('close', done), resolve());
        channel.once('drain', done).once('close', done);
      });
      while (inFlight >= window && !failure) await waitUntil(() => inFlight < window);
    }
    while (inFlight > 0 && !failure) await waitUntil(() => inFlight === 0);
  } finally {
    channel.off('close', onClose);
  }
  if (failure) throw failure;
}
