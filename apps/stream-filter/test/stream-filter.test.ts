// Stream filtering: 3,000 events each of three regions, appended region by region; a reader of one region gets
// its 3,000 in order, and the broker sends it far fewer than the 9,000 a reader without a filter gets.
import { beforeAll, describe, expect, it } from 'vitest';
import { brokerAtLeast, brokerVersion, noStreamClient, runApp, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();
let tooOld: string | undefined;
beforeAll(async () => {
  tooOld = await noStreamClient() ?? (await brokerAtLeast(3, 13) ? undefined : `RabbitMQ ${await brokerVersion()} has no stream filtering (3.13+)`);
});

/** A reader of one region, stopped once it has printed the last event: its events and how many the broker sent. */
async function read(args: string[]) {
  const reader = startApp('stream-filter', 'receive', ['--region', 'us', ...args], vhost.env);
  await reader.waitFor(/Received event #3000 \(us\)/, 1, 60_000);
  const { code } = await reader.stop('SIGINT');
  expect(code, reader.stderr.join('\n')).toBe(0);
  const summary = /^ \[\.\] The broker sent (\d+) events for (\d+) of region 'us'$/.exec(reader.stdout.at(-1) ?? '');
  expect(summary, reader.stdout.at(-1)).not.toBeNull();
  return { events: reader.matching(/Received/), sent: Number(summary![1]), matched: Number(summary![2]) };
}

describe('stream-filter', () => {
  it('on a broker older than 3.11: one clear line, exit 1', async (ctx) => {
    if (!(await noStreamClient())) return ctx.skip('this broker serves the stream client');
    const sent = await runApp('stream-filter', 'send', ['--region', 'eu'], vhost.env);
    expect(sent.code).toBe(1);
    expect(sent.stderr).toBe('error: the broker closed the stream connection: rabbitmq-stream-js-client needs RabbitMQ 3.11 or later');
  });

  it('a reader of one region: its events in order, and the broker sends far fewer than to a reader of all', async (ctx) => {
    if (tooOld) return ctx.skip(tooOld);
    for (const region of ['eu', 'us', 'asia']) {
      const sent = await runApp('stream-filter', 'send', ['--region', region, '--count', '3000'], vhost.env);
      expect(sent.code, sent.stderr).toBe(0);
    }
    const filtered = await read([]);
    expect(filtered.events).toEqual(Array.from({ length: 3000 }, (_, i) => ` [x] Received event #${i + 1} (us)`));
    expect(filtered.matched).toBe(3000);
    const all = await read(['--all']);
    expect(all.events).toEqual(filtered.events);
    // Without a filter the broker sends every chunk up to the last 'us' event at least (eu's and us's); with one,
    // the chunks of 'us' and at most a few mixed at the borders.
    expect(all.sent).toBeGreaterThanOrEqual(6000);
    expect(filtered.sent).toBeLessThan(4500);
    console.log(`stream-filter: the broker sent ${filtered.sent} events to the reader of 'us', ${all.sent} without a filter`);
  });

  it('--region is required: a usage error, exit 2', async () => {
    const bad = await runApp('stream-filter', 'receive', [], vhost.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: --region is required\nusage: receive --region NAME/);
  });
});
