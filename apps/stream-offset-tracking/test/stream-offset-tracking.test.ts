import { beforeAll, describe, expect, it } from 'vitest';
import { management, runApp, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();
let version = '';
beforeAll(async () => {
  version = (await management().overview()).rabbitmq_version;
});
const tooOld = () => (Number(version.split('.')[0]) * 100 + Number(version.split('.')[1]) < 311
  ? `RabbitMQ ${version} is older than 3.11, which rabbitmq-stream-js-client needs (Debian 12 ships 3.10; the Docker broker is 4.x)` : undefined);

describe('stream-offset-tracking', () => {
  it('each run goes on after the offset the last one stored: nothing skipped, nothing read twice', async (ctx) => {
    if (tooOld()) return ctx.skip(tooOld());
    expect((await runApp('stream-offset-tracking', 'send', [], vhost.env)).code).toBe(0);
    const firstRun = await runApp('stream-offset-tracking', 'receive', [], vhost.env);
    expect(firstRun.code).toBe(0);
    expect(firstRun.stdout).toContain(' [x] Done consuming, first offset was 0, last offset was 99');

    expect((await runApp('stream-offset-tracking', 'send', [], vhost.env)).code).toBe(0);
    const secondRun = await runApp('stream-offset-tracking', 'receive', [], vhost.env);
    expect(secondRun.stdout).toContain(' [x] Start consuming at offset 100');
    expect(secondRun.stdout).toContain(' [x] Done consuming, first offset was 100, last offset was 199');
  });

  it('a consumer stopped before the marker resumes after its last stored offset', async (ctx) => {
    if (tooOld()) return ctx.skip(tooOld());
    const consumer = startApp('stream-offset-tracking', 'receive', [], vhost.env);
    await consumer.waitFor(/Start consuming at the first message/);
    await consumer.stop(); // nothing read yet: nothing stored
    expect((await runApp('stream-offset-tracking', 'send', [], vhost.env)).code).toBe(0);
    const resumed = await runApp('stream-offset-tracking', 'receive', [], vhost.env);
    expect(resumed.stdout).toContain(' [x] Done consuming, first offset was 0, last offset was 99');
  });
});
