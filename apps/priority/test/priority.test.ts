// Priority: a message published behind a backlog of 10,000 comes out within the first prefetch. On
// RabbitMQ 4.0+ in a quorum queue (two levels: 5 and above overtakes 0-4), in a classic queue with
// x-max-priority on any version; a 3.x quorum queue has no priorities: one line saying so, exit 1.
import { describe, expect, it } from 'vitest';
import { brokerAtLeast, brokerVersion, eventually, management, queueDepth, runApp, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

/** Closes the connection named `name` from the broker's side (the management API), as a broker restart would. */
async function closeConnection(name: string): Promise<void> {
  const api = management();
  let listed: string | undefined;
  await eventually(async () => {
    listed = (await api.connections()).find((c) => c.client_properties?.connection_name === name)?.name;
    return listed !== undefined;
  }, 10_000, `the connection ${name} listed`);
  await api.request('DELETE', `/connections/${encodeURIComponent(listed!)}`);
}

describe('priority', () => {
  for (const type of ['quorum', 'classic']) it(`${type} queue: an urgent message sent behind 10,000 normal ones is among the first 10 delivered (prefetch 10)`, async (ctx) => {
    if (type === 'quorum' && !(await brokerAtLeast(4, 0))) return ctx.skip(`RabbitMQ ${await brokerVersion()}: quorum queues have no priorities before 4.0`);
    const env = { ...vhost.env, RABBITMQ_QUEUE_TYPE: type };
    const backlog = await runApp('priority', 'send', ['--count', '10000', 'normal'], env);
    expect(backlog.code, backlog.stderr).toBe(0);
    expect((await runApp('priority', 'send', ['--priority', '9', 'urgent'], env)).code).toBe(0);
    const worker = startApp('priority', 'worker', ['--prefetch', '10'], env);
    await worker.waitFor(/Received 'normal #20'/, 1, 30_000);
    const received = worker.matching(/ \[x\] Received /);
    expect(received.findIndex((line) => line.includes("'urgent' (priority 9)"))).toBeGreaterThanOrEqual(0);
    expect(received.findIndex((line) => line.includes("'urgent'"))).toBeLessThan(10);
    // The normal ones keep their order among themselves.
    expect(received.filter((line) => line.includes('normal')).slice(0, 5)).toEqual([1, 2, 3, 4, 5].map((i) => ` [x] Received 'normal #${i}' (priority 0)`));
    expect((await worker.stop('SIGTERM')).code).toBe(0);
  }, 90_000);

  it('its connection closed with messages in progress: each is settled on the channel that delivered it (no 406 on the new one), all handled', async () => {
    const env = { ...vhost.env, RABBITMQ_QUEUE_TYPE: 'classic', RABBITMQ_RETRY_DELAY_MS: '50', RABBITMQ_CONNECTION_NAME: 'priority-worker-closed' };
    const worker = startApp('priority', 'worker', ['--prefetch', '5', '--work-ms', '300'], env);
    await worker.waitFor(/Waiting for messages/);
    expect((await runApp('priority', 'send', ['--count', '20', 'm'], env)).code).toBe(0);
    await worker.waitFor(/Received 'm #1'/);
    await closeConnection('priority-worker-closed'); // four more delivered, waiting their turn on the old channel
    await worker.waitFor(/reconnected to /, 1, 30_000);
    const connection = await vhost.connect();
    await expect.poll(() => queueDepth(connection, 'priority_queue'), { timeout: 30_000 }).toBe(0);
    await expect.poll(() => new Set(worker.matching(/Received 'm #\d+'/).map((l) => /#(\d+)/.exec(l)![1])).size, { timeout: 30_000 }).toBe(20);
    expect((await worker.stop('SIGTERM')).code).toBe(0);
    expect(worker.stderr.filter((line) => /406|unknown delivery tag/.test(line))).toEqual([]);
  });

  it('a quorum queue on RabbitMQ 3.x: one line saying what to do, exit 1', async (ctx) => {
    if (await brokerAtLeast(4, 0)) return ctx.skip(`RabbitMQ ${await brokerVersion()} has quorum queue priorities`);
    for (const role of ['send', 'worker']) {
      const run = await runApp('priority', role, role === 'send' ? ['x'] : [], vhost.env);
      expect(run.code).toBe(1);
      const errors = run.stderr.split('\n').filter((line) => line && !/^\[priority:\w+\] connected to /.test(line));
      expect(errors, role).toEqual([expect.stringMatching(/^error: quorum queues deliver by priority from RabbitMQ 4\.0 \(this broker is 3\.[\d.]+\): set RABBITMQ_QUEUE_TYPE=classic for a classic priority queue$/)]);
    }
  });

  it('a priority out of range: a usage error, exit 2', async () => {
    const bad = await runApp('priority', 'send', ['--priority', '256', 'x'], vhost.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: --priority must be a whole number from 0 to 255 \(got "256"\)\nusage: send/);
  });
});
