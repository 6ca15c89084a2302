import { describe, expect, it } from 'vitest';
import { runApp, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

async function sendAll(bodies: string[]) {
  for (const body of bodies) expect((await runApp('stream-queue', 'send', [body], vhost.env)).code).toBe(0);
}

describe('stream-queue: a stream over AMQP 0-9-1', () => {
  it('each x-stream-offset form reads what it should, and reading takes nothing away', async () => {
    await sendAll(['one', 'two', 'three']);
    const read = async (offset: string, expected: string[]) => {
      const receiver = startApp('stream-queue', 'receive', ['--offset', offset], vhost.env);
      await receiver.waitFor(new RegExp(`Received message ${expected.at(-1)} `));
      await receiver.stop();
      expect(receiver.matching(/Received message/).map((l) => l.replace(/^ \[x\] Received message (\S+).*/, '$1')), offset).toEqual(expected);
      return receiver;
    };
    const first = await read('first', ['one', 'two', 'three']);
    expect(first.matching(/Received/)).toEqual([' [x] Received message one (offset 0)', ' [x] Received message two (offset 1)', ' [x] Received message three (offset 2)']);
    await read('1', ['two', 'three']);
    await read('2000-01-01T00:00:00Z', ['one', 'two', 'three']); // every message is newer than that
    // last: the last chunk (here each confirmed message was written as a chunk of its own).
    await read('last', ['three']);

    // next: only what arrives after the consumer started.
    const next = startApp('stream-queue', 'receive', ['--offset', 'next'], vhost.env);
    await next.waitFor(/Reading 'hello-nodejs-stream' from next/);
    await sendAll(['four']);
    await next.waitFor(/Received message four \(offset 3\)/);
    expect(next.matching(/Received/)).toHaveLength(1);
  });

  it('several consumers read the same messages, each at its own pace', async () => {
    const readers = [startApp('stream-queue', 'receive', [], vhost.env), startApp('stream-queue', 'receive', [], vhost.env)];
    await Promise.all(readers.map((r) => r.waitFor(/Reading/)));
    await sendAll(['a', 'b']);
    for (const reader of readers) {
      await reader.waitFor(/Received message b \(offset 1\)/);
      expect(reader.matching(/Received/)).toEqual([' [x] Received message a (offset 0)', ' [x] Received message b (offset 1)']);
    }
  });

  it.each(['yesterday', '1969-01-01T00:00:00Z', '9223372036854775808', '99999999999999999999', '2026-02-30', '2026-13-01',
    '2026-11-23T24:00:00Z', '2026-11-23 10:00', '-1', '1e3'])('--offset %s, which the broker cannot take: usage error, exit 2, before connecting', async (offset) => {
    const bad = await runApp('stream-queue', 'receive', [`--offset=${offset}`], { RABBITMQ_URL: 'amqp://127.0.0.1:1/', RABBITMQ_CONNECTION_ATTEMPTS: '1' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: (--offset must be first, last, next, an offset from 0 to 9223372036854775807, or an ISO 8601 time from 1970 on)/);
    expect(bad.stderr).toMatch(/\nusage: receive/);
  });

  it('--offset: the largest offset is sent exactly (no rounding to a double), a date with a zone is read as given', async () => {
    await sendAll(['only']);
    // 2^53 + 1 would become 2^53 as a JS number: the broker must get it exactly; past the end, it waits for new messages.
    const far = startApp('stream-queue', 'receive', ['--offset', '9007199254740993'], vhost.env);
    await far.waitFor(/Reading 'hello-nodejs-stream' from 9007199254740993/);
    const top = startApp('stream-queue', 'receive', ['--offset', '9223372036854775807'], vhost.env);
    await top.waitFor(/Reading 'hello-nodejs-stream' from 9223372036854775807/);
    const zoned = startApp('stream-queue', 'receive', ['--offset', '2000-01-01T01:00:00+01:00'], vhost.env);
    await zoned.waitFor(/Received message only \(offset 0\)/);
    for (const reader of [far, top, zoned]) expect((await reader.stop()).code).toBe(0);
    expect(far.matching(/Received/)).toEqual([]);
  });
});
