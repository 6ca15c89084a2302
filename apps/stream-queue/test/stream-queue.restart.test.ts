import { describe, expect, it } from 'vitest';
import { cannotRestart, restart, runApp, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

describe('stream-queue across a broker restart', () => {
  it('the stream keeps every confirmed message', async (ctx) => {
    if (cannotRestart()) return ctx.skip(cannotRestart());
    for (const body of ['kept-1', 'kept-2']) expect((await runApp('stream-queue', 'send', [body], vhost.env)).code).toBe(0);
    await restart();
    const receiver = startApp('stream-queue', 'receive', ['--offset', 'first'], vhost.env);
    await receiver.waitFor(/Received message kept-2 \(offset 1\)/, 1, 30_000);
    expect(receiver.matching(/Received/)).toEqual([' [x] Received message kept-1 (offset 0)', ' [x] Received message kept-2 (offset 1)']);
  });
});
