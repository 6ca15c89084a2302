import { describe, expect, it } from 'vitest';
import { cannotRestart, restart, runApp, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

describe('rpc-fib across a broker restart', () => {
  it('a client waiting for a reply fails at once with a clear error instead of hanging', async (ctx) => {
    if (cannotRestart()) return ctx.skip(cannotRestart());
    const server = startApp('rpc-fib', 'server', [], vhost.env);
    await server.waitFor(/Awaiting RPC requests/);
    await server.stop();
    // The queue exists but no server consumes it: the client would wait for its 60 s timeout.
    const client = startApp('rpc-fib', 'client', ['--timeout', '60000', '20'], vhost.env);
    await client.waitFor(/Requesting fib\(20\)/);

    const started = Date.now();
    await restart();
    const { code } = await client.exited;
    expect(code).toBe(1);
    // One line: the broker's own reason for closing (a restart), not a timeout a minute later.
    expect(client.stderr).toHaveLength(1);
    expect(client.stderr[0]).toMatch(/^error: (the broker closed the connection: .*\(320 CONNECTION_FORCED\)|the connection to the broker closed while waiting for the reply)$/);
    expect(Date.now() - started).toBeLessThan(30_000);

    // After the restart the queued request is still there (durable) and a new server answers new calls.
    const again = startApp('rpc-fib', 'server', [], vhost.env);
    await again.waitFor(/fib\(20\)/);
    expect(await runApp('rpc-fib', 'client', ['20'], vhost.env)).toMatchObject({ code: 0, stdout: ' [x] Requesting fib(20)\n [.] Got 6765' });
  });
});
