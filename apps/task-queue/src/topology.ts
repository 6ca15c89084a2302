import type { Channel } from 'amqplib';
import { quorumQueue } from '@rabbit-tutorials/connection';

export const TASK_QUEUE = 'task_queue';
/** Where tasks a worker cannot process go, so they neither loop nor get lost. */
export const DEAD_LETTER_QUEUE = 'task_queue.dead';

export async function declareTaskQueue(channel: Channel): Promise<void> {
  await channel.assertQueue(TASK_QUEUE, quorumQueue);
}

export async function declareDeadLetterQueue(channel: Channel): Promise<void> {
  await channel.assertQueue(DEAD_LETTER_QUEUE, quorumQueue);
}
