import type { ConfirmChannel, Options } from 'amqplib';

export interface Outgoing {
  exchange: string;
  routingKey: string;
  content: Buffer;
  options?: Options.Publish;
}

export interface PublishAllOptions {
  /** How many messages may await their confirm at once (pipelining without unbounded memory). */
  window?: number;
  /** Stop early (e.g. on SIGINT); what was published is still confirmed. */
  signal?: AbortSignal;
  /** Called as confirms arrive, at most every `progressEveryMs`. */
  onProgress?: (confirmed: number, total: number) => void;
  progressEveryMs?: number;
  /** Republish a message the broker nacked this many times before giving up. */
  retries?: number;
  /** Called once per confirmed message, with its index. */
  onConfirm?: (index: number) => void;
  /** Publish only these indexes (e.g. the unconfirmed ones after a reconnection); default all. */
  indexes?: Iterable<number>;
}

/**
 * Publishes many messages with publisher confirms pipelined: up to `window` in flight, confirms
 * handled as they arrive, socket back-pressure respected, nacked messages republished. Resolves
 * with the number confirmed once every published message is confirmed; rejects if one is nacked
 * more than `retries` times.
 */
export async function publishAll(channel: ConfirmChannel, total: number, message: (index: number) => Outgoing,
  options: PublishAllOptions = {}): Promise<number> {
  const window = options.window ?? 1000;
  const retries = options.retries ?? 3;
  let confirmed = 0;
  let inFlight = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  let lastProgress = 0;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const waitForRoom = (limit: number) => new Promise<void>((resolve) => {
    wake = resolve;
    if (inFlight < limit || failure) notify();
  });

  const send = (index: number, attempt: number) => {
    const { exchange, routingKey, content, options: publishOptions } = message(index);
    inFlight++;
    const ok = channel.publish(exchange, routingKey, content, publishOptions, (err) => {
      inFlight--;
      if (!err) {
        confirmed++;
        options.onConfirm?.(index);
        const now = Date.now();
        if (options.onProgress && now - lastProgress >= (options.progressEveryMs ?? 1000)) {
          lastProgress = now;
          options.onProgress(confirmed, total);
        }
      } else if (err.message !== 'message nacked') {
        // amqplib fails every pending confirm with 'channel closed' when the channel goes.
        failure ??= new Error('the channel closed before every message was confirmed');
      } else if (attempt < retries) {
        send(index, attempt + 1);
      } else {
        failure ??= new Error(`the broker refused message ${index} ${retries + 1} times (nack)`);
      }
      notify();
    });
    return ok;
  };

  // Waiting for socket back-pressure to clear ('drain'); a closed channel never drains.
  let drained: (() => void) | undefined;
  // If the channel closes, pending confirms never come: fail instead of waiting for ever.
  const onClose = () => {
    failure ??= new Error('the channel closed before every message was confirmed');
    notify();
    drained?.();
  };
  channel.once('close', onClose);
  try {
    for (const i of options.indexes ?? range(total)) {
      if (options.signal?.aborted || failure) break;
      if (!send(i, 0)) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          channel.once('drain', resolve);
        });
        drained = undefined;
      }
      if (inFlight >= window) await waitForRoom(window);
    }
    while (inFlight > 0 && !failure) await waitForRoom(1);
  } finally {
    channel.off('close', onClose);
  }
  if (failure) throw failure;
  options.onProgress?.(confirmed, total);
  return confirmed;
}

function* range(n: number) {
  for (let i = 0; i < n; i++) yield i;
}

export interface ReliableProgress {
  confirmed: number;
  total: number;
  reconnections: number;
}

/**
 * publishAll that survives losing the connection (e.g. a broker restart): it reconnects (with the
 * configured attempts and backoff) and publishes again every message not yet confirmed. At least
 * once: a message whose confirm was lost in the cut is published twice, so consumers deduplicate
 * by message id when that matters.
 */
export async function publishReliably(open: () => Promise<{ channel: ConfirmChannel; close: () => Promise<void> }>,
  total: number, message: (index: number) => Outgoing,
  options: Omit<PublishAllOptions, 'indexes' | 'onConfirm'> & { onReconnect?: (error: Error) => void } = {}): Promise<ReliableProgress> {
  const confirmed = new Uint8Array(total);
  let count = 0;
  let reconnections = 0;
  for (;;) {
    const { channel, close } = await open();
    const pending = function* () {
      for (let i = 0; i < total; i++) if (!confirmed[i]) yield i;
    };
    try {
      await publishAll(channel, total, message, {
        ...options,
        indexes: pending(),
        onConfirm: (i) => {
          if (!confirmed[i]) count++;
          confirmed[i] = 1;
        },
        onProgress: options.onProgress && (() => options.onProgress!(count, total)),
      });
      await close();
      return { confirmed: count, total, reconnections };
    } catch (err) {
      await close().catch(() => undefined);
      if (options.signal?.aborted || !/closed/.test((err as Error).message)) throw err;
      reconnections++;
      options.onReconnect?.(err as Error);
    }
  }
}
