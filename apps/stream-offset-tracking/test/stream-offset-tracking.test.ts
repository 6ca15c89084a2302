import { beforeAll, describe, expect, it } from 'vitest';
import { noStreamClient, runApp, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();
let tooOld: string | undefined;
beforeAll(async () => {
  tooOld = await noStreamClient();
});

describe('stream-offset-tracking', () => {
  it('each run goes on after the offset the last one stored: nothing skipped, nothing read twice', async (ctx) => {
    if (tooOld) return ctx.skip(tooOld);
    const done = /^ \[x\] Done consuming, first offset was (\d+), last offset was (\d+) \((\d+) messages\)$/m;
    expect((await runApp('stream-offset-tracking', 'send', [], vhost.env)).code).toBe(0);
    const firstRun = await runApp('stream-offset-tracking', 'receive', [], vhost.env);
    expect(firstRun.code).toBe(0);
    const [, first1, last1, count1] = done.exec(firstRun.stdout)!.map(Number);
    expect([first1, count1]).toEqual([0, 100]);

    expect((await runApp('stream-offset-tracking', 'send', [], vhost.env)).code).toBe(0);
    const secondRun = await runApp('stream-offset-tracking', 'receive', [], vhost.env);
    expect(secondRun.stdout).toContain(` [*] Start consuming at offset ${last1! + 1}`);
    // The broker writes stored offsets into the stream too, so offsets may skip a few numbers: the count is what matters.
    const [, first2, , count2] = done.exec(secondRun.stdout)!.map(Number);
    expect(first2).toBeGreaterThan(last1!);
    expect(count2).toBe(100);
  });

  it('a consumer stopped before the marker resumes after its last stored offset', async (ctx) => {
    if (tooOld) return ctx.skip(tooOld);
    const consumer = startApp('stream-offset-tracking', 'receive', [], vhost.env);
    await consumer.waitFor(/Start consuming at the first message/);
    await consumer.stop(); // nothing read yet: nothing stored
    expect((await runApp('stream-offset-tracking', 'send', [], vhost.env)).code).toBe(0);
    const resumed = await runApp('stream-offset-tracking', 'receive', [], vhost.env);
    expect(resumed.stdout).toMatch(/ \[x\] Done consuming, first offset was 0, last offset was \d+ \(100 messages\)/);
  });
});
