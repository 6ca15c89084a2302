import { describe, expect, it } from 'vitest';
import { cannotRestart, restart, runApp, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

describe('stream-queue across a broker restart', () => {
  it('the stream keeps every confirmed message; a running reader reconnects by itself', async (ctx) => {
    if (cannotRestart()) return ctx.skip(cannotRestart());
    // A stream comes back a moment after its node accepts connections; until then declaring it is a
    // 404 "home node ... is down" that the readers retry: attempts enough to outlast that.
    const env = { ...vhost.env, RABBITMQ_CONNECTION_ATTEMPTS: '12' };
    for (const body of ['kept-1', 'kept-2']) expect((await runApp('stream-queue', 'send', [body], env)).code).toBe(0);
    const running = startApp('stream-queue', 'receive', ['--offset', 'next'], env);
    await running.waitFor(/Reading/);
    await restart();

    const fresh = startApp('stream-queue', 'receive', ['--offset', 'first'], env);
    await fresh.waitFor(/Received message kept-2 \(offset 1\)/, 1, 30_000);
    expect(fresh.matching(/Received/)).toEqual([' [x] Received message kept-1 (offset 0)', ' [x] Received message kept-2 (offset 1)']);

    await running.waitFor(/reconnected/, 1, 30_000);
    expect((await runApp('stream-queue', 'send', ['kept-3'], env)).code).toBe(0);
    await running.waitFor(/Received message kept-3 \(offset 2\)/);
    expect(running.matching(/Received/)).toEqual([' [x] Received message kept-3 (offset 2)']);
    expect((await running.stop()).code).toBe(0);
    expect((await fresh.stop()).code).toBe(0);
  });
});
