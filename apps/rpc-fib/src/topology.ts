import { quorumQueue } from '@rabbit-tutorials/connection';
import type { Options } from 'amqplib';

export const RPC_QUEUE = 'rpc_queue';

export type QueueType = 'quorum' | 'classic';

/**
 * quorum, as the official tutorial declares rpc_queue, so a pika client and our server (and the
 * reverse) agree. classic is faster per call (no replicated log write per request) and fine for
 * requests nobody needs after a broker restart; never mix the two on one queue name (406).
 */
export function rpcQueueOptions(type: QueueType): Options.AssertQueue {
  return type === 'quorum' ? quorumQueue : { durable: true, arguments: { 'x-queue-type': 'classic' } };
}
