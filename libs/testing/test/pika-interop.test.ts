// Our programs and pika programs declaring what the official Python tutorials declare, talking both ways.
import { describe, expect, it } from 'vitest';
import { NO_PIKA, pikaPython, runApp, startApp, startPika, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

describe.skipIf(!pikaPython)(`wire compatibility with pika (${pikaPython ? 'pika found' : NO_PIKA})`, () => {
  it('hello: pika send → our receive, our send → pika receive', async () => {
    const ours = startApp('hello', 'receive', [], vhost.env);
    await ours.waitFor(/Waiting for messages/);
    expect((await startPika('send', ['from', 'pika'], vhost.env).exited).code).toBe(0);
    await ours.waitFor(/^ \[x\] Received 'from pika'$/);
    await ours.stop();

    const theirs = startPika('receive', ['1'], vhost.env);
    await theirs.waitFor(/Waiting for messages/);
    expect((await runApp('hello', 'send', ['from', 'node'], vhost.env)).code).toBe(0);
    await theirs.waitFor(/^ \[x\] Received from node$/);
  });

  it('task queue: pika new_task → our worker, our new-task → pika worker', async () => {
    const ours = startApp('task-queue', 'worker', ['--dot-ms', '1'], vhost.env);
    await ours.waitFor(/Waiting for messages/);
    expect((await startPika('new_task', ['pika', 'task..'], vhost.env).exited).code).toBe(0);
    await ours.waitFor(/^ \[x\] Done pika task\.\.$/);
    await ours.stop();

    const theirs = startPika('worker', ['1'], vhost.env);
    await theirs.waitFor(/Waiting for messages/);
    expect((await runApp('task-queue', 'new-task', ['node', 'task.'], vhost.env)).code).toBe(0);
    await theirs.waitFor(/^ \[x\] Received node task\.$/);
  });

  it.each([
    ['fanout-logs', 'emit_log', 'receive_logs', [], [], ['a log line'], ' [x] a log line', / \[x\] :a log line$/],
    ['direct-logs', 'emit_log_direct', 'receive_logs_direct', ['error'], ['error'], ['error', 'disk full'], ' [x] error:disk full', / \[x\] error:disk full$/],
    ['topic-logs', 'emit_log_topic', 'receive_logs_topic', ['kern.*'], ['kern.*'], ['kern.critical', 'panic'], ' [x] kern.critical:panic', / \[x\] kern\.critical:panic$/],
  ] as const)('%s: pika emit → our receive, our emit → pika receive', async (app, pikaEmit, pikaReceive, ourBindings, theirBindings, emitArgs, ourLine, theirLine) => {
    const ours = startApp(app, 'receive', [...ourBindings], vhost.env);
    await ours.waitFor(/Waiting for logs/);
    expect((await startPika(pikaEmit, [...emitArgs], vhost.env).exited).code).toBe(0);
    await ours.waitFor(new RegExp(`^${ourLine.replace(/[.*[\]]/g, '\\$&')}$`));
    await ours.stop();

    const theirs = startPika(pikaReceive, ['1', ...theirBindings], vhost.env);
    await theirs.waitFor(/Waiting for logs/);
    expect((await runApp(app, 'emit', [...emitArgs], vhost.env)).code).toBe(0);
    await theirs.waitFor(theirLine);
  });

  it('rpc: pika client → our server, our client → pika server', async () => {
    const ours = startApp('rpc-fib', 'server', [], vhost.env);
    await ours.waitFor(/Awaiting RPC requests/);
    const theirClient = startPika('rpc_client', ['30'], vhost.env);
    await theirClient.waitFor(/^ \[\.\] Got 832040$/);
    await ours.stop();

    const theirs = startPika('rpc_server', [], vhost.env);
    await theirs.waitFor(/Awaiting RPC requests/);
    for (const mode of [[], ['--callback-queue']]) {
      const result = await runApp('rpc-fib', 'client', [...mode, '25'], vhost.env);
      expect(result).toMatchObject({ code: 0, stdout: ' [x] Requesting fib(25)\n [.] Got 75025' });
    }
  });
});
