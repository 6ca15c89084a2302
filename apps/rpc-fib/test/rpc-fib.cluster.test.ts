// RPC on a three-node cluster: the node the server is connected to is killed while a client makes calls
// through another node; the server moves, and every call is answered.
import { describe, expect, it } from 'vitest';
import { cluster, killNode, noCluster, runApp, startApp, useClusterVhost } from '@rabbit-tutorials/testing';

const vhost = useClusterVhost();

describe.skipIf(Boolean(noCluster()))(`rpc-fib on a three-node cluster${noCluster() ? ` (skipped: ${noCluster()})` : ''}`, () => {
  it('kill -9 of the server\'s node during the calls: the server reconnects to another node and every call is answered', async () => {
    const [serverNode, clientNode] = cluster().nodes;
    const server = startApp('rpc-fib', 'server', [], vhost.env(serverNode));
    await server.waitFor(/Awaiting RPC requests/);
    const ns = Array.from({ length: 3000 }, (_, i) => String(i % 40));
    const calls = startApp('rpc-fib', 'many-calls', ['--in-flight', '8', '--timeout', '60000', ...ns], vhost.env(clientNode));
    await calls.waitFor(/^ \[\.\] fib\(/, 200, 30_000);

    const killedAt = Date.now();
    await killNode(serverNode!);
    await server.waitFor(/reconnected to /, 1, 60_000);
    const movedMs = Date.now() - killedAt;
    const { code } = await calls.exited;
    expect(code, `client: ${calls.stderr.join('\n')}\nserver: ${server.stderr.join('\n')}`).toBe(0);
    // Every answer right: calls in flight at the kill were taken again by the reconnected server.
    const answers = calls.matching(/^ \[\.\] fib\(\d+\) = \d+$/);
    expect(answers).toHaveLength(ns.length);
    expect(answers).toContain(' [.] fib(39) = 63245986');
    expect(server.child.exitCode).toBeNull();
    // A new client through the node that died first in its list finds the server too.
    expect(await runApp('rpc-fib', 'client', ['20'], vhost.env(serverNode))).toMatchObject({ code: 0, stdout: ' [x] Requesting fib(20)\n [.] Got 6765' });
    console.log(`[cluster] kill -9 of the RPC server's node: the server was back on another node ${movedMs} ms later; ${ns.length} calls answered`);
  });
});
