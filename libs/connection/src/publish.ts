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
        const now = Date.now();
        if (options.onProgress && now - lastProgress >= (options.progressEveryMs ?? 1000)) {
          lastProgress = now;
          options.onProgress(confirmed, total);
        }
      } else if (attempt < retries) {
        send(index, attempt + 1);
      } else {
        failure ??= new Error(`the broker refused message ${index} ${retries + 1} times (nack)`);
      }
      notify();
    });
    return ok;
  };

  for (let i = 0; i < total && !options.signal?.aborted && !failure; i++) {
    if (!send(i, 0)) await new Promise((resolve) => channel.once('drain', resolve));
    if (inFlight >= window) await waitForRoom(window);
  }
  while (inFlight > 0 && !failure) await waitForRoom(1);
  if (failure) throw failure;
  options.onProgress?.(confirmed, total);
  return confirmed;
}
