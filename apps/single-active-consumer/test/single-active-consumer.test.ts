// Single active consumer: 10,000 numbered messages, two receivers, the active one killed (SIGKILL) mid-stream:
// the other takes over where it left off, and every message is handled in order, none lost.
import { describe, expect, it } from 'vitest';
import { eventually, management, queueDepth, runApp, startApp, useVhost } from '@rabbit-tutorials/testing';

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
const COUNT = 10_000;
/** The numbers a receiver printed, in its order. */
const numbers = (lines: string[]) => lines.flatMap((line) => /^ \[x\] \w+ received 'id #(\d+)'/.exec(line)?.[1] ?? []).map(Number);

describe('single-active-consumer', () => {
  it.each([['quorum'], ['classic']])(`%s queue: the order of ${COUNT} ids is kept across a kill of the active receiver`, async (type) => {
    const env = { ...vhost.env, RABBITMQ_QUEUE_TYPE: type };
    const a = startApp('single-active-consumer', 'receive', ['--name', 'A', '--work-ms', '1'], env);
    await a.waitFor(/Waiting for messages as A/);
    const b = startApp('single-active-consumer', 'receive', ['--name', 'B', '--work-ms', '1'], env);
    await b.waitFor(/Waiting for messages as B/);
    const sent = await runApp('single-active-consumer', 'send', ['--count', String(COUNT), 'id'], env);
    expect(sent.code, sent.stderr).toBe(0);
    await a.waitFor(/A received 'id #2000'/, 1, 60_000);
    expect(b.matching(/received/)).toEqual([]); // one active receiver: B only waits
    a.kill('SIGKILL');
    await b.waitFor(new RegExp(`B received 'id #${COUNT}'`), 1, 120_000);
    const [byA, byB] = [numbers(a.stdout), numbers(b.stdout)];
    // Each in order, with no gap; B starts at the first message A had not acked (printed, maybe, not acked).
    expect(byA).toEqual(Array.from({ length: byA.length }, (_, i) => i + 1));
    expect(byB[0]).toBeLessThanOrEqual(byA.length + 1);
    expect(byB[0]).toBeGreaterThan(byA.length - 10); // at most a prefetch (10) delivered again
    expect(byB).toEqual(Array.from({ length: COUNT - byB[0]! + 1 }, (_, i) => byB[0]! + i));
    expect(b.matching(/B is the active consumer now/)).toHaveLength(1);
    expect((await b.stop('SIGTERM')).code).toBe(0);
  }, 180_000);

  it('its connection closed with messages in progress: each is settled on the channel that delivered it (no 406 on the new one), in order', async () => {
    const env = { ...vhost.env, RABBITMQ_RETRY_DELAY_MS: '50', RABBITMQ_CONNECTION_NAME: 'sac-receive-closed' };
    const a = startApp('single-active-consumer', 'receive', ['--name', 'A', '--prefetch', '5', '--work-ms', '300'], env);
    await a.waitFor(/Waiting for messages as A/);
    expect((await runApp('single-active-consumer', 'send', ['--count', '20', 'id'], env)).code).toBe(0);
    await a.waitFor(/A received 'id #1'/);
    await closeConnection('sac-receive-closed'); // four more delivered, waiting their turn on the old channel
    await a.waitFor(/reconnected to /, 1, 30_000);
    await a.waitFor(/A received 'id #20'/, 1, 30_000);
    const connection = await vhost.connect();
    await expect.poll(() => queueDepth(connection, 'single_active_queue'), { timeout: 30_000 }).toBe(0);
    expect((await a.stop('SIGTERM')).code).toBe(0);
    expect(a.stderr.filter((line) => /406|unknown delivery tag/.test(line))).toEqual([]);
    // The last handled of each number, in order: nothing skipped (what the old channel could not ack came again).
    const handled = [...new Set(a.matching(/A received 'id #\d+'/).map((l) => Number(/#(\d+)/.exec(l)![1])))];
    expect(handled).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});
