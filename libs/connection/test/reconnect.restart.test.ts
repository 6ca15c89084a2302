import { describe, expect, it } from 'vitest';
import { cannotRestart, restart, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

async function publish(body: string) {
  const connection = await vhost.connect();
  const channel = await connection.createConfirmChannel();
  channel.sendToQueue('jobs', Buffer.from(body), { persistent: true });
  await channel.waitForConfirms();
  await connection.close();
}

describe('a long-running consumer across a broker restart', () => {
  it('reconnects by itself, re-declares its topology and consumes again', async (ctx) => {
    if (cannotRestart()) return ctx.skip(cannotRestart());
    const app = startApp('../libs/connection/test', 'fixtures/slow-consumer', ['jobs'], vhost.env);
    await app.waitFor(/^ready$/);
    await publish('before');
    await app.waitFor(/^done before$/);

    await restart();
    await app.waitFor(/reconnected; topology and consumers restored/, 1, 60_000);
    await app.waitFor(/^ready$/, 2);
    await publish('after');
    await app.waitFor(/^done after$/);
    expect(app.stderr.join('\n')).toMatch(/connection lost: .*; reconnecting/);

    const { code } = await app.stop('SIGTERM');
    expect(code).toBe(0);
  });
});
