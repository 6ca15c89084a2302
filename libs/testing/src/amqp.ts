import type { ChannelModel, Options } from 'amqplib';

/** Publishes with confirms from the test itself (fast: no process start). */
export async function publishConfirmed(connection: ChannelModel, exchange: string,
  messages: { routingKey?: string; body: string | Buffer; options?: Options.Publish }[]): Promise<void> {
  const channel = await connection.createConfirmChannel();
  for (const m of messages) channel.publish(exchange, m.routingKey ?? '', Buffer.isBuffer(m.body) ? m.body : Buffer.from(m.body), m.options);
  await channel.waitForConfirms();
  await channel.close();
}

/** Ready messages in a queue (passive declare: fails if it does not exist). */
export async function queueDepth(connection: ChannelModel, queue: string): Promise<number> {
  const channel = await connection.createChannel();
  try {
    return (await channel.checkQueue(queue)).messageCount;
  } finally {
    await channel.close().catch(() => undefined);
  }
}

/** Polls until `check` holds or the time is up (for broker-side counts that settle asynchronously). */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
