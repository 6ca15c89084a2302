import { describe, expect, it } from 'vitest';
import { cannotRestart, restart, runApp, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

describe('stream-queue across a broker restart', () => {
  it('the stream keeps every confirmed message; a running reader reconnects by itself and goes on after what it read', async (ctx) => {
    if (cannotRestart()) return ctx.skip(cannotRestart());
    // A stream comes back a moment after its node accepts connections; until then declaring it is a
    // 404 "home node ... is down" that the readers retry: attempts enough to outlast that.
    const env = { ...vhost.env, RABBITMQ_CONNECTION_ATTEMPTS: '12' };
    for (const body of ['kept-1', 'kept-2']) expect((await runApp('stream-queue', 'send', [body], env)).code).toBe(0);
    const running = startApp('stream-queue', 'receive', ['--offset', 'next'], env);
    await running.waitFor(/Reading/);
    const fromFirst = startApp('stream-queue', 'receive', ['--offset', 'first'], env);
    await fromFirst.waitFor(/Received message kept-2 \(offset 1\)/);
    await restart();

    const fresh = startApp('stream-queue', 'receive', ['--offset', 'first'], env);
    await fresh.waitFor(/Received message kept-2 \(offset 1\)/, 1, 30_000);
    expect(fresh.matching(/Received/)).toEqual([' [x] Received message kept-1 (offset 0)', ' [x] Received message kept-2 (offset 1)']);

    await running.waitFor(/reconnected/, 1, 30_000);
    expect((await runApp('stream-queue', 'send', ['kept-3'], env)).code).toBe(0);
    await running.waitFor(/Received message kept-3 \(offset 2\)/);
    expect(running.matching(/Received/)).toEqual([' [x] Received message kept-3 (offset 2)']);
    // A reader that had read the stream goes on after what it read: nothing read twice (--offset first is not replayed).
    await fromFirst.waitFor(/Received message kept-3 \(offset 2\)/);
    expect(fromFirst.matching(/Received/)).toEqual([0, 1, 2].map((i) => ` [x] Received message kept-${i + 1} (offset ${i})`));
    expect((await fromFirst.stop()).code).toBe(0);
    expect((await running.stop()).code).toBe(0);
    expect((await fresh.stop()).code).toBe(0);
  });
});
