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

  it('--offset that is not first, last, next, a number or a time: usage error, exit 2', async () => {
    const bad = await runApp('stream-queue', 'receive', ['--offset', 'yesterday'], vhost.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: --offset must be first, last, next, an offset or an ISO 8601 time \(got "yesterday"\)\nusage: receive/);
  });
});
