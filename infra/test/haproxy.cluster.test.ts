// infra/haproxy/haproxy.cfg, run by a real HAProxy (Debian's haproxy) in front of the local three-node
// cluster: the compose file's config with only the addresses changed (loopback ports for compose names).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppProcess, freePort, killNode } from '@rabbit-tutorials/broker';
import { ROOT, cluster, clusterManagement, eventually, noCluster, runApp, startApp, useClusterVhost } from '@rabbit-tutorials/testing';

const vhost = useClusterVhost();
// The config's init-state needs HAProxy 3.1 or later (Debian 12 has 2.6).
const version = /HAProxy version (\d+)\.(\d+)/.exec(spawnSync('haproxy', ['-v'], { encoding: 'utf8' }).stdout ?? '');
const noHaproxy = !version ? 'haproxy is not installed (apt-get install haproxy)'
  : Number(version[1]) * 100 + Number(version[2]) < 301 ? `needs HAProxy 3.1 or later (this is ${version[1]}.${version[2]})` : undefined;
const skip = noCluster() ?? noHaproxy;

describe.skipIf(Boolean(skip))(`HAProxy in front of the cluster${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const ports = { amqp: 0, management: 0, stream: 0 };
  let haproxy: AppProcess;
  let dir: string;
  beforeAll(async () => {
    Object.assign(ports, { amqp: await freePort(), management: await freePort(), stream: await freePort() });
    const { nodes } = cluster();
    const names = ['rabbitmq', 'rabbitmq-2', 'rabbitmq-3'];
    const local = readFileSync(join(ROOT, 'infra/haproxy/haproxy.cfg'), 'utf8')
      .replace(/^resolvers compose\n(  .*\n)+/m, '') // compose's DNS: not here
      .replace('resolvers compose init-addr last,libc,none ', '')
      .replace(/^  bind :(5672|15672|5552)$/gm, (_, port: string) => `  bind 127.0.0.1:${{ 5672: ports.amqp, 15672: ports.management, 5552: ports.stream }[port]}`)
      .replace(/^  server (\S+) \S+:(5672|15672|5552)$/gm, (_, name: string, port: string) => {
        const { host, ports: node } = nodes[names.indexOf(name)]!;
        return `  server ${name} ${host}:${{ 5672: node.amqp, 15672: node.management, 5552: node.stream }[port]}`;
      });
    expect(local).not.toMatch(/rabbitmq(-\d)?:\d/); // every address replaced
    dir = mkdtempSync(join(tmpdir(), 'haproxy-'));
    writeFileSync(join(dir, 'haproxy.cfg'), local);
    const child: ChildProcess = spawn('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy = new AppProcess(child, 'haproxy');
    // Up once a health check has seen every node answer AMQP.
    await eventually(() => fetch(`http://127.0.0.1:${ports.management}/api/overview`, {
      headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
    }).then((r) => r.ok, () => false), 20_000, 'the management API through HAProxy');
    // init-state fully-down: each node in the AMQP backend only after its checks passed (no traffic before).
    for (const name of names) await haproxy.waitFor(new RegExp(`Server amqp_nodes/${name} is UP, reason: Layer7 check passed`), 1, 20_000);
  });
  afterAll(async () => {
    haproxy?.kill('SIGKILL');
    await haproxy?.exited;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the switch to HAProxy: its one AMQP address with the three stream ports `npm run broker` prints, every program starts', async () => {
    const env = {
      RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${ports.amqp}/${encodeURIComponent(vhost.name)}`,
      RABBITMQ_STREAM_PORT: cluster().nodes.map((n) => n.ports.stream).join(','),
    };
    const receive = startApp('stream-hello', 'receive', [], env);
    await receive.waitFor(/Waiting for messages/);
    expect(await runApp('stream-hello', 'send', ['through the switch'], env)).toMatchObject({ code: 0 });
    await receive.waitFor(/Received message through the switch$/);
    expect(await runApp('hello', 'send', ['amqp too'], env)).toMatchObject({ code: 0 });
    receive.kill('SIGINT');
    expect(await receive.exited).toMatchObject({ code: 0 });
  });

  it('one address for the programs: when the node behind a worker\'s connection is killed, HAProxy sends it to another, marked down', async () => {
    const env = { RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${ports.amqp}/${encodeURIComponent(vhost.name)}`, RABBITMQ_RETRY_DELAY_MS: '200', RABBITMQ_CONNECTION_ATTEMPTS: '10' };
    const worker = startApp('task-queue', 'worker', ['--dot-ms', '0'], env);
    await worker.waitFor(/Waiting for messages/);
    // The node HAProxy chose for it, from the cluster's own list of connections.
    const api = clusterManagement();
    let behind: string | undefined;
    await expect.poll(async () => {
      behind = (await api.connections()).find((c) => c.vhost === vhost.name && c.client_properties?.connection_name === 'worker')?.node;
      return behind;
    }, { timeout: 10_000 }).toBeDefined();
    const node = cluster().nodes.find((n) => n.nodeName === behind)!;
    expect((await runApp('task-queue', 'new-task', ['before.'], env)).code).toBe(0);
    await worker.waitFor(/^ \[x\] Done before\.$/);

    const killedAt = Date.now();
    await killNode(node);
    const name = ['rabbitmq', 'rabbitmq-2', 'rabbitmq-3'][cluster().nodes.indexOf(node)];
    // Out of the backend within two checks of a second each (the config's inter 1s fall 2), and the worker back.
    const down = new RegExp(`Server amqp_nodes/${name} is DOWN`);
    await haproxy.waitFor(down, 1, 20_000);
    const outMs = haproxy.arrivedAt(down)! - killedAt;
    console.log(`[cluster] HAProxy: ${name} out of the backend ${outMs} ms after the kill`);
    expect(outMs).toBeLessThan(3500);
    await worker.waitFor(/reconnected to /, 1, 60_000);
    expect((await runApp('task-queue', 'new-task', ['after.'], env)).code).toBe(0);
    await worker.waitFor(/^ \[x\] Done after\.$/);
    expect(worker.child.exitCode).toBeNull();
  });
});
