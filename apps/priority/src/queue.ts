// How both roles declare priority_queue. A quorum queue (RabbitMQ 4.0 and later, 4.3 included) takes no
// argument for it (x-max-priority is refused) and has two levels: a message of priority 5-255 is "high" and is
// delivered before the "normal" ones (0-4, or none) waiting in the queue. A classic queue (RABBITMQ_QUEUE_TYPE=
// classic, the only kind with priorities on RabbitMQ 3.x) is declared with x-max-priority 10: levels 0-9.
import type { ChannelModel, Options } from 'amqplib';
import { BrokerError, type RabbitConfig } from '@rabbit-tutorials/connection';

export const QUEUE = 'priority_queue';

export function queueOptions(config: RabbitConfig, connection: ChannelModel): Options.AssertQueue {
  if (config.queueType === 'classic') return { durable: true, arguments: { 'x-max-priority': 10 } };
  const version = String(connection.connection.serverProperties?.version ?? '');
  if (Number(version.split('.')[0]) < 4) {
    // A 3.x quorum queue ignores priorities (and refuses x-max-priority): say so rather than deliver in plain order.
    throw new BrokerError(`quorum queues deliver by priority from RabbitMQ 4.0 (this broker is ${version}): set RABBITMQ_QUEUE_TYPE=classic for a classic priority queue`, true);
  }
  return { durable: true, arguments: { 'x-queue-type': 'quorum' } };
}
