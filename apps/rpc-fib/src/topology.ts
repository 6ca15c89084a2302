import { quorumQueue } from '@rabbit-tutorials/connection';

export const RPC_QUEUE = 'rpc_queue';
/** As the official tutorial declares it, so a pika client and our server (and the reverse) agree. */
export const RPC_QUEUE_OPTIONS = quorumQueue;
