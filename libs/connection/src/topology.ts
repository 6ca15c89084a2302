import type { Options } from 'amqplib';

/**
 * How the official tutorials declare their named queues today (hello, task_queue, rpc_queue): durable
 * quorum queues. RabbitMQ 4.3 refuses non-durable shared queues, and a declare with other arguments
 * than an existing queue's fails with 406, so every program declaring these must use the same options.
 */
export const quorumQueue: Options.AssertQueue = Object.freeze({ durable: true, arguments: { 'x-queue-type': 'quorum' } });
