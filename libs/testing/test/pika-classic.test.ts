// The classic (pre-quorum) Python tutorial programs and ours with RABBITMQ_QUEUE_TYPE=classic sharing
// the same queues in the vhost "demo", each side declaring first in turn, ours configured only through
// the classic programs' RABBITMQ_MASTER_* variables (and the vhost).
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NO_PIKA, broker, management, pikaPython, publishConfirmed, queueDepth, runApp, startApp, startPika } from '@rabbit-tutorials/testing';
import { connect, loadConfig } from '@rabbit-tutorials/connection';

const VHOST = 'demo';
let skipReason = pikaPython ? undefined : NO_PIKA;

beforeAll(async () => {
  if (skipReason) return;
  // Only a broker the tests own: "demo" on a broker from the environment may hold someone's data.
  const exists = await management().queues(VHOST).then(() => true, () => false);
  if (exists) skipReason = `the broker already has a vhost "${VHOST}": not touching it`;
});
beforeEach(async (ctx) => {
  if (skipReason) return ctx.skip(skipReason);
  await management().createVhost(VHOST);
  await management().setPermissions(VHOST, broker().username);
});
afterEach(async () => {
  if (!skipReason) await management().deleteVhost(VHOST);
});

/** What the classic programs read: RABBITMQ_MASTER_HOST, _PORT, _USER, _PASS. */
function master(): Record<string, string> {
  const info = broker();
  return { RABBITMQ_MASTER_HOST: info.hostname, RABBITMQ_MASTER_PORT: String(info.port), RABBITMQ_MASTER_USER: info.username, RABBITMQ_MASTER_PASS: info.password };
}
const ours = () => ({ ...master(), RABBITMQ_VHOST: VHOST, RABBITMQ_QUEUE_TYPE: 'classic', RABBITMQ_CONNECTION_ATTEMPTS: '3', RABBITMQ_RETRY_DELAY_MS: '200' });

describe('beside the classic tutorial programs (pika), with RABBITMQ_QUEUE_TYPE=classic', () => {
  it.each(['ours', 'theirs'])('hello: %s declaring first, messages flow both ways', async (first) => {
    const steps = [
      async () => {
        const receiver = startApp('hello', 'receive', [], ours());
        await receiver.waitFor(/Waiting for messages/);
        expect((await startPika('send', ['from', 'pika'], master(), 'classic').exited).code).toBe(0);
        await receiver.waitFor(/^ \[x\] Received 'from pika'$/);
        await receiver.stop();
      },
      async () => {
        const receiver = startPika('receive', ['1'], master(), 'classic');
        await receiver.waitFor(/Waiting for messages/);
        expect((await runApp('hello', 'send', ['from', 'node'], ours())).code).toBe(0);
        await receiver.waitFor(/^ \[x\] Received from node$/);
      },
    ];
    for (const step of first === 'ours' ? steps : steps.reverse()) await step();
    // Without the variable, ours declares the quorum queue and says why it cannot share this one.
    const { RABBITMQ_QUEUE_TYPE: _, ...quorum } = ours();
    const refused = await runApp('hello', 'send', ['x'], quorum);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/queue 'hello' in vhost 'demo' already exists with durable = 'false', but this program declares durable = 'true'/);
  });

  it.each(['ours', 'theirs'])('task queue: %s declaring first; a poison task still goes to task_queue.dead', async (first) => {
    const steps = [
      async () => {
        const worker = startApp('task-queue', 'worker', ['--dot-ms', '1'], ours());
        await worker.waitFor(/Waiting for messages/);
        expect((await startPika('new_task', ['pika', 'task..'], master(), 'classic').exited).code).toBe(0);
        await worker.waitFor(/^ \[x\] Done pika task\.\.$/);
        // No x-delivery-count on a classic queue, but a task it cannot read is still moved aside, not lost.
        const connection = await connect({ config: loadConfig(ours()), name: 'test' });
        await publishConfirmed(connection, '', [{ routingKey: 'task_queue', body: '   ' }]);
        await worker.waitFor(/moved a message from 'task_queue' to 'task_queue\.dead': empty task/);
        expect(await queueDepth(connection, 'task_queue.dead')).toBe(1);
        await connection.close();
        await worker.stop();
      },
      async () => {
        const worker = startPika('worker', ['1'], master(), 'classic');
        await worker.waitFor(/Waiting for messages/);
        expect((await runApp('task-queue', 'new-task', ['node', 'task.'], ours())).code).toBe(0);
        await worker.waitFor(/^ \[x\] Received node task\.$/);
      },
    ];
    for (const step of first === 'ours' ? steps : steps.reverse()) await step();
  });

  it.each(['ours', 'theirs'])('rpc: %s server declaring rpc_queue first, each client served by the other side', async (first) => {
    const steps = [
      async () => {
        const server = startApp('rpc-fib', 'server', [], ours());
        await server.waitFor(/Awaiting RPC requests/);
        await startPika('rpc_client', ['20'], master(), 'classic').waitFor(/^ \[\.\] Got 6765$/);
        await server.stop();
      },
      async () => {
        const server = startPika('rpc_server', [], master(), 'classic');
        await server.waitFor(/Awaiting RPC requests/);
        const client = await runApp('rpc-fib', 'client', ['20'], ours());
        expect(client.code, client.stderr).toBe(0);
        expect(client.stdout).toMatch(/Got 6765/);
        server.kill('SIGKILL');
        await server.exited;
      },
    ];
    for (const step of first === 'ours' ? steps : steps.reverse()) await step();
  });
});
