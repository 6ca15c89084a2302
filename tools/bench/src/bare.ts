// The baselines: the same work written as the shortest correct bare-amqplib loops, no library of ours.
import amqplib from 'amqplib';
import type { ConfirmChannel } from 'amqplib';

export const connectBare = (url: string) => amqplib.connect(url, { noDelay: true });

/** Publishes `count` persistent messages with at most `window` awaiting confirms. */
export async function barePublish(channel: ConfirmChannel, queue: string, count: number, window: number, body?: string): Promise<void> {
  let inFlight = 0;
  let wake: (() => void) | undefined;
  for (let i = 0; i < count; i++) {
    inFlight++;
    const ok = channel.sendToQueue(queue, Buffer.from(body ?? `message ${i}`), { persistent: true }, (err) => {
      if (err) throw err;
      inFlight--;
      wake?.();
    });
    if (!ok) await new Promise((resolve) => channel.once('drain', resolve));
    while (inFlight >= window) await new Promise<void>((resolve) => (wake = resolve));
  }
  while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
}
