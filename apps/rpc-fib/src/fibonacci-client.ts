import { RpcClient, type RpcClientOptions } from '@rabbit-tutorials/connection';
import type { ChannelModel } from 'amqplib';
import { RPC_QUEUE } from './topology.js';

/** A typed client of the fib server: `await client.fib(30)` → 832040n. Safe for many concurrent calls. */
export class FibonacciClient {
  private constructor(private readonly rpc: RpcClient) {}

  /** Calls the server's queue, rpc_queue unless `options.queue` names another. */
  static async create(connection: ChannelModel, options: Partial<RpcClientOptions> = {}): Promise<FibonacciClient> {
    return new FibonacciClient(await RpcClient.create(connection, { queue: RPC_QUEUE, ...options }));
  }

  /** fib(n); rejects with RpcError for input the server refuses, RpcTimeoutError without a server. */
  async fib(n: number | string, options?: { timeoutMs?: number }): Promise<bigint> {
    const reply = await this.rpc.call(String(n), options);
    return BigInt(reply.toString());
  }

  /** Where replies come back (amq.rabbitmq.reply-to, or the exclusive callback queue). */
  get replyQueue(): string {
    return this.rpc.replyQueue;
  }

  get ignoredReplies(): number {
    return this.rpc.ignoredReplies;
  }

  close(): Promise<void> {
    return this.rpc.close();
  }
}
