// The RPC client of tutorial 6 for production, many calls at once (many-calls.ts runs it): each request
// carries a correlation_id and reply_to; replies come back on one reply queue and are matched to their
// call by correlation_id.
// Each call has its own timeout; replies nobody waits for (late, or not ours) are ignored and
// counted; if the channel or connection goes, every waiting call fails at once instead of hanging.
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { randomBytes } from 'node:crypto';
import { BrokerError, describeError, printable } from '@rabbit-tutorials/connection';

/** The server's queue, declared by the server as the official tutorial does. */
export const RPC_QUEUE = 'rpc_queue';

/** The pseudo-queue of RabbitMQ's direct reply-to: replies come straight back, no queue is declared. */
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

/** The server answered with an error (message type "error"; the body says why). */
export class RpcError extends Error {
  override name = 'RpcError';
}

/** No reply in time. */
export class RpcTimeoutError extends Error {
  override name = 'RpcTimeoutError';
}

export interface FibonacciClientOptions {
  /** The server's request queue (default rpc_queue). */
  queue?: string;
  /**
   * 'direct' (default): RabbitMQ direct reply-to, no reply queue to declare or clean up.
   * 'exclusive': a server-named exclusive callback queue, as in the tutorial.
   */
  replyTo?: 'direct' | 'exclusive';
  /** Per call, unless the call says otherwise (default 10 s). */
  timeoutMs?: number;
}

interface Pending {
  resolve: (body: Buffer) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** `await client.fib(30)` → 832040n. Safe for many concurrent calls on one connection. */
export class FibonacciClient {
  /** Replies that matched no waiting call (it had timed out, or was never ours). */
  ignoredReplies = 0;
  private readonly pending = new Map<string, Pending>();
  private closed?: Error;
  // Correlation ids: a short random prefix per client and a counter in base 36, unique and short (ids
  // with a UUID in them cost the client ~7 µs more per call: encoded, decoded and hashed each time).
  private readonly idPrefix = `${randomBytes(6).toString('base64url')}.`;
  private sequence = 0;

  private constructor(private readonly channel: Channel, readonly replyQueue: string,
    private readonly options: Required<FibonacciClientOptions>) {}

  static async create(connection: ChannelModel, options: FibonacciClientOptions = {}): Promise<FibonacciClient> {
    const channel = await connection.createChannel();
    const full = { queue: RPC_QUEUE, replyTo: 'direct' as const, timeoutMs: 10_000, ...options };
    let replyQueue = DIRECT_REPLY_TO;
    if (full.replyTo === 'exclusive') replyQueue = (await channel.assertQueue('', { exclusive: true })).queue;
    const client = new FibonacciClient(channel, replyQueue, full);
    channel.on('error', (err: unknown) => client.failAll(new BrokerError(describeError(err), true)));
    channel.on('close', () => client.failAll(new BrokerError('the connection to the broker closed while calls were waiting for replies', false)));
    // A request no queue took (no server queue declared) comes back: fail that call now, not at its timeout.
    channel.on('return', (message: ConsumeMessage) => client.settle(message.properties.correlationId,
      new RpcError(`no queue '${full.queue}' took the request: is the server running (it declares the queue)?`)));
    // Direct reply-to requires no-ack consuming on the channel that publishes the requests.
    await channel.consume(replyQueue, (message) => message && client.onReply(message), { noAck: true });
    return client;
  }

  /** fib(n); rejects with RpcError for input the server refuses, RpcTimeoutError without a server. */
  fib(n: number | string, options?: { timeoutMs?: number }): Promise<bigint> {
    return this.call(String(n), options).then((body) => {
      const text = body.toString();
      if (!/^\d{1,100000}$/.test(text)) throw new RpcError(`the reply is not a number: ${printable(text, 60)}`);
      return BigInt(text);
    });
  }

  /** Sends `body` to the server queue and resolves with the reply body. */
  call(body: string | Buffer, options: { timeoutMs?: number } = {}): Promise<Buffer> {
    if (this.closed) return Promise.reject(this.closed);
    const correlationId = this.idPrefix + (this.sequence++).toString(36);
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(correlationId, new RpcTimeoutError(
        `no reply from '${this.options.queue}' within ${timeoutMs} ms: is a server running?`)), timeoutMs);
      this.pending.set(correlationId, { resolve, reject, timer });
      this.channel.publish('', this.options.queue, Buffer.isBuffer(body) ? body : Buffer.from(body),
        // expiration: a request nobody took within the call's timeout is dropped, not computed for nobody later.
        { correlationId, replyTo: this.replyQueue, mandatory: true, expiration: String(timeoutMs) });
    });
  }

  async close(): Promise<void> {
    this.failAll(new BrokerError('the RPC client was closed', true));
    await this.channel.close().catch(() => undefined);
  }

  private onReply(message: ConsumeMessage) {
    const id = message.properties.correlationId;
    if (!this.pending.has(id)) {
      this.ignoredReplies++;
      return;
    }
    // Escaped and cut: whoever answers on the reply-to writes this text, and it is printed.
    this.settle(id, message.properties.type === 'error' ? new RpcError(printable(message.content.toString())) : message.content);
  }

  private settle(id: string | undefined, outcome: Buffer | Error) {
    const call = id === undefined ? undefined : this.pending.get(id);
    if (!call) return;
    this.pending.delete(id!);
    clearTimeout(call.timer);
    if (outcome instanceof Error) call.reject(outcome);
    else call.resolve(outcome);
  }

  private failAll(err: Error) {
    this.closed ??= err;
    for (const id of [...this.pending.keys()]) this.settle(id, err);
  }
}
