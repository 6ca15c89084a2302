import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options, RecoveringChannelModel } from 'amqplib';
import { type RabbitConfig, describeTarget, intVar, loadConfig } from './config.js';
import { connect, connectRecovering, explain } from './connect.js';
import { BrokerError, UsageError, describeError } from './errors.js';
import { log } from './log.js';

/**
 * Runs a program's body: any failure becomes one line on stderr (no stack trace, no secret) and
 * exit code 1; a UsageError also prints the usage. The body may return an exit code.
 */
export function main(body: () => Promise<number | void>, usage?: string): void {
  body().then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (err: unknown) => {
      process.stderr.write(`error: ${describeError(err)}\n`);
      if (err instanceof UsageError && usage) process.stderr.write(`usage: ${usage}\n`);
      // DEBUG=1 shows where an unexpected error came from.
      if (process.env.DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      process.exitCode = 1;
    },
  );
}

export type MessageHandler = (message: ConsumeMessage) => unknown;

export interface ConsumeOptions extends Options.Consume {
  /**
   * In manual-ack mode a handler that throws gets its message moved here (published with a confirm,
   * then acked) so it is kept but not redelivered in a loop. Without it the message is rejected
   * without requeue: the broker dead-letters it if the queue has a dead-letter exchange, else drops it.
   */
  deadLetterQueue?: string;
  /**
   * Quorum queues count deliveries (x-delivery-count): a message delivered this many times already
   * (its handler kept crashing the process) is dead-lettered without running the handler again.
   */
  maxDeliveries?: number;
}

export interface ConsumerContext {
  /** The channel of the current connection (a new one after each reconnection). */
  channel: Channel;
  /**
   * Starts a consumer whose handler runs for each message. Without noAck the message is acked after
   * the handler returns (or its promise resolves), and dead-lettered if it throws; shutdown waits for
   * running handlers.
   */
  consume(queue: string, handler: MessageHandler, options?: ConsumeOptions): Promise<string>;
}

export interface Binding {
  /** Routing or binding key ('' for fanout and headers exchanges). */
  pattern: string;
  /** Binding arguments (headers exchanges: x-match and the headers to match). */
  arguments?: Record<string, unknown>;
}

/**
 * The subscriber side of the log tutorials: a fresh exclusive, server-named queue (gone when this
 * consumer goes), bound to `exchange` once per binding, consumed with auto-ack as in the tutorials.
 */
export async function subscribe(ctx: ConsumerContext, exchange: string, bindings: Binding[], handler: MessageHandler): Promise<string> {
  const { queue } = await ctx.channel.assertQueue('', { exclusive: true });
  for (const binding of bindings) await ctx.channel.bindQueue(queue, exchange, binding.pattern, binding.arguments);
  await ctx.consume(queue, handler, { noAck: true });
  return queue;
}

export interface ConsumerOptions {
  /** Connection name in the management UI (RABBITMQ_CONNECTION_NAME overrides it). */
  name: string;
  /** Declares topology and starts consumers; runs again after every reconnection, so keep it idempotent. */
  setup: (ctx: ConsumerContext) => Promise<void>;
  env?: Record<string, string | undefined>;
  /** Stops the consumer like SIGTERM does (for consumers embedded in a larger program). */
  signal?: AbortSignal;
}

/** The bound on how long shutdown waits for running handlers (RABBITMQ_SHUTDOWN_TIMEOUT_MS, default 30 s). */
function shutdownTimeout(env: Record<string, string | undefined>): number {
  return intVar('RABBITMQ_SHUTDOWN_TIMEOUT_MS', env.RABBITMQ_SHUTDOWN_TIMEOUT_MS?.trim() || undefined, 30_000, 0, 3_600_000);
}

/**
 * A long-running consumer: connects (retrying), runs `setup`, reconnects and re-runs it after a
 * connection loss, and on SIGINT/SIGTERM stops consuming, lets running handlers finish (bounded),
 * closes channel and connection and exits 0. A second signal exits at once. Resolves on shutdown.
 */
export async function runConsumer(options: ConsumerOptions): Promise<number> {
  const env = options.env ?? process.env;
  const config = loadConfig(env);
  const timeoutMs = shutdownTimeout(env);
  const inFlight = new Set<Promise<unknown>>();
  let consumers: { channel: Channel; tag: string }[] = [];
  let current: Channel | undefined;
  let stopping = false;
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));

  const setup = async (connection: ChannelModel) => {
    consumers = [];
    const channel = await connection.createChannel();
    current = channel;
    channel.on('error', (err: unknown) => {
      // A broker-side channel close (e.g. 406 on a bad ack) is a bug or a conflict: no point going on.
      // (During the first setup the failed declare itself reports it.)
      if (recovering) void stop(1, explain(err, config).message);
    });
    // Dead-lettering publishes with a confirm; a channel of its own keeps confirms off the hot path.
    let confirmChannel: Promise<ConfirmChannel> | undefined;
    const deadLetterChannel = () => (confirmChannel ??= connection.createConfirmChannel().then((ch) => {
      ch.on('error', (err: unknown) => log(`dead-letter channel error: ${explain(err, config).message}`));
      return ch;
    }));

    const consume = async (queue: string, handler: MessageHandler, opts: ConsumeOptions = {}) => {
      const { deadLetterQueue, maxDeliveries, ...consumeOptions } = opts;
      const settle = (message: ConsumeMessage, failure?: unknown): void | Promise<void> => {
        if (failure === undefined) return consumeOptions.noAck ? undefined : channel.ack(message);
        if (!consumeOptions.noAck) return deadLetter(channel, deadLetterChannel, queue, message, failure, deadLetterQueue);
        log(`handler failed on a message from '${queue}' (auto-ack: it is gone): ${describeError(failure)}`);
      };
      const { consumerTag } = await channel.consume(queue, (message) => {
        if (message === null) {
          void stop(1, `the broker cancelled the consumer of queue '${queue}' (was it deleted?)`);
          return;
        }
        let result: unknown;
        try {
          const deliveries = Number(message.properties.headers?.['x-delivery-count'] ?? 0);
          if (maxDeliveries !== undefined && deliveries >= maxDeliveries) {
            throw new Error(`delivered ${deliveries + 1} times without being acked (does it crash the consumer?)`);
          }
          result = handler(message);
        } catch (err) {
          result = Promise.reject(err);
        }
        if (!isPromiseLike(result)) {
          // A synchronous handler is settled at once (no promise hops on the hot path).
          try {
            settle(message);
          } catch (err) {
            log(`could not settle a message from '${queue}': ${describeError(err)}`);
          }
          return;
        }
        // A promise is tracked so shutdown can wait for it.
        const tracked: Promise<unknown> = Promise.resolve(result)
          .then(() => settle(message), (err: unknown) => settle(message, err ?? 'failed'))
          // The channel may have closed meanwhile (connection lost): the broker redelivers the message.
          .catch((err: unknown) => log(`could not settle a message from '${queue}': ${describeError(err)}`))
          .finally(() => inFlight.delete(tracked));
        inFlight.add(tracked);
      }, consumeOptions);
      consumers.push({ channel, tag: consumerTag });
      return consumerTag;
    };
    await options.setup({ channel, consume });
  };

  let recovering: RecoveringChannelModel | undefined;
  recovering = await connectRecovering(config, {
    name: options.name,
    setup,
    onFatal: (error) => void stop(1, error.message),
  });
  log(`connected to ${describeTarget(config)}`);

  async function stop(code: number, reason?: string) {
    if (stopping) return;
    stopping = true;
    if (reason) process.stderr.write(`error: ${reason}\n`);
    // Stop new deliveries first; the broker requeues what it had sent but we never started.
    await Promise.allSettled(consumers.map(({ channel, tag }) => channel.cancel(tag)));
    if (inFlight.size > 0) {
      log(`waiting up to ${timeoutMs} ms for ${inFlight.size} message(s) in progress`);
      const timedOut = await Promise.race([
        Promise.allSettled([...inFlight]).then(() => false),
        new Promise<boolean>((resolve) => setTimeout(resolve, timeoutMs, true).unref()),
      ]);
      if (timedOut) log(`${inFlight.size} message(s) still in progress; the broker will redeliver them`);
    }
    // Channel first: its close-ok proves the broker has processed our acks. Closing the connection
    // straight away can drop acks still on their way, and those messages would be delivered again.
    await current?.close().catch(() => undefined);
    await recovering?.close().catch(() => undefined);
    // Abandoned handlers could keep the process alive; their messages are back in the queue by now.
    if (inFlight.size > 0) process.exit(code);
    finish(code);
  }

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`${signal} again: exiting now`);
      process.exit(130);
    }
    log(`${signal}: shutting down`);
    void stop(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  options.signal?.addEventListener('abort', () => void stop(0), { once: true });
  const code = await finished;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return code;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}

async function deadLetter(channel: Channel, confirmChannel: () => Promise<ConfirmChannel>, queue: string,
  message: ConsumeMessage, err: unknown, target?: string) {
  const reason = err instanceof Error ? err.message : String(err);
  if (!target) {
    log(`rejected a message from '${queue}' (${reason}); it goes to the queue's dead-letter exchange, if any`);
    channel.nack(message, false, false);
    return;
  }
  // userId is checked against the publishing user: keep it and the broker would refuse the copy.
  const { userId: _userId, ...properties } = message.properties;
  const headers = { ...properties.headers, 'x-first-death-queue': queue, 'x-exception-message': reason.slice(0, 1000) };
  // Publish with a confirm before acking, so the message is never lost between the two queues.
  const publisher = await confirmChannel();
  await new Promise<void>((resolve, reject) => {
    publisher.sendToQueue(target, message.content, { ...properties, headers, persistent: true },
      (confirmErr) => (confirmErr ? reject(new BrokerError('the broker did not confirm the dead-lettered message', false)) : resolve()));
  });
  channel.ack(message);
  log(`moved a message from '${queue}' to '${target}': ${reason}`);
}

export interface ProducerContext {
  channel: ConfirmChannel;
  connection: ChannelModel;
  config: RabbitConfig;
  /** Aborted on SIGINT/SIGTERM: stop publishing; what was published is still confirmed before exit. */
  signal: AbortSignal;
}

/**
 * A program that publishes and ends: connects (retrying), gives `body` a confirm channel, then waits
 * until the broker has confirmed every message before closing. Exit 0 means everything was confirmed.
 */
export async function runProducer<T>(name: string, body: (ctx: ProducerContext) => Promise<T>,
  env: Record<string, string | undefined> = process.env): Promise<T> {
  const config = loadConfig(env);
  const connection = await connect(config, name);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let channelError: unknown;
  try {
    const channel = await connection.createConfirmChannel();
    channel.on('error', (err: unknown) => (channelError = err));
    // Messages published with `mandatory` that no queue took come back here instead of vanishing.
    channel.on('return', (message: ConsumeMessage) => log(`no queue is bound for '${message.fields.routingKey}' on exchange ` +
      `'${message.fields.exchange}': that message was dropped`));
    const result = await body({ channel, connection, config, signal: abort.signal });
    await channel.waitForConfirms();
    await channel.close();
    if (abort.signal.aborted) throw new BrokerError('interrupted; everything published before the signal was confirmed', true);
    return result;
  } catch (err) {
    throw explain(channelError ?? err, config);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await connection.close().catch(() => undefined);
  }
}
