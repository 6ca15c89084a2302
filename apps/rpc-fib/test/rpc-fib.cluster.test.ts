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

  it('kill -9 of one client\'s node: its replies cannot be delivered, the servers keep answering the other clients', async () => {
    const nodes = cluster().nodes;
    const servers = nodes.map((node) => startApp('rpc-fib', 'server', ['--quiet'], vhost.env(node)));
    for (const server of servers) await server.waitFor(/Awaiting RPC requests/);
    const ns = Array.from({ length: 6000 }, (_, i) => String(i % 25));
    // One client per node, each first on another node than its server's list starts with.
    const clients = [2, 0, 1].map((i) => startApp('rpc-fib', 'many-calls', ['--in-flight', '32', '--timeout', '30000', ...ns], vhost.env(nodes[i])));
    for (const client of clients) await client.waitFor(/^ \[\.\] fib\(/, 500, 30_000);

    const [doomed, ...others] = clients;
    const killedAt = Date.now();
    await killNode(nodes[2]!);
    // The other clients go on being answered: each gets 200 more answers, the first within 2 s of the kill.
    const before = others.map((c) => c.stdout.length);
    await Promise.all(others.map((c, i) => c.waitFor(/^ \[\.\] fib\(/, before[i]! + 1, 10_000)));
    const answeredMs = Date.now() - killedAt;
    for (const [i, c] of others.entries()) await c.waitFor(/^ \[\.\] fib\(/, before[i]! + 200, 30_000);
    const log = () => `servers:\n${servers.map((s) => s.stderr.join('\n')).join('\n--\n')}\nclients:\n${clients.map((c) => c.stderr.join('\n')).join('\n--\n')}`;
    for (const server of servers) expect(server.child.exitCode, log()).toBeNull();
    // No crash loop (RabbitMQ 3.x: a reply to the dead node's reply-to closes the server's connection with
    // INTERNAL_ERROR): at most once per server, beside the loss of its own node, not 80 times a second.
    for (const server of servers) expect(server.stderr.filter((l) => /connection lost/.test(l)).length, log()).toBeLessThanOrEqual(2);
    for (const client of others) expect((await client.exited).code, log()).toBe(0);
    doomed!.kill('SIGKILL');
    console.log(`[cluster] kill -9 of one RPC client's node: the other clients answered again ${answeredMs} ms after the kill`);
    expect(answeredMs).toBeLessThan(2000);
  });
});
