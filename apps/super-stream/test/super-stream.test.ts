// Super stream: invoices of 10 customers routed by customer to three partitions; the group's member is killed
// and another started: it goes on after the offsets the first stored, and every customer's invoices come in order.
import { beforeAll, describe, expect, it } from 'vitest';
import { brokerAtLeast, brokerVersion, noStreamClient, runApp, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();
let tooOld: string | undefined;
beforeAll(async () => {
  tooOld = await noStreamClient() ?? (await brokerAtLeast(3, 13) ? undefined : `RabbitMQ ${await brokerVersion()} cannot create a super stream over the stream protocol (3.13+)`);
});

/** Each customer's invoice numbers, in the order a receiver printed them. */
function byCustomer(lines: string[]): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  for (const line of lines) {
    const m = /^ \[x\] \w+ received (customer-\d+) #(\d+) \(invoices-\d\)$/.exec(line);
    if (m) seen.set(m[1]!, [...(seen.get(m[1]!) ?? []), Number(m[2])]);
  }
  return seen;
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('super-stream', () => {
  it('on a broker older than 3.11: one clear line, exit 1', async (ctx) => {
    if (!(await noStreamClient())) return ctx.skip('this broker serves the stream client');
    const sent = await runApp('super-stream', 'send', [], vhost.env);
    expect(sent.code).toBe(1);
    expect(sent.stderr).toBe('error: the broker closed the stream connection: rabbitmq-stream-js-client needs RabbitMQ 3.11 or later');
  });

  it('routed by customer, one active member per partition; a restarted member goes on after the stored offsets, each customer in order', async (ctx) => {
    if (tooOld) return ctx.skip(tooOld);
    const a = startApp('super-stream', 'receive', ['--name', 'A'], vhost.env);
    await a.waitFor(/Waiting for invoices as A/);
    const first = await runApp('super-stream', 'send', ['--count', '1500', '--customers', '10'], vhost.env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('over invoices-0, invoices-1, invoices-2');
    await a.waitFor(/ received /, 1500, 60_000);
    a.kill('SIGKILL');
    await a.exited;
    const second = await runApp('super-stream', 'send', ['--count', '1500', '--customers', '10', '--from', '151'], vhost.env);
    expect(second.code, second.stderr).toBe(0);
    const b = startApp('super-stream', 'receive', ['--name', 'B'], vhost.env);
    await b.waitFor(/ received customer-\d+ #300 /, 10, 60_000);
    const [fromA, fromB] = [byCustomer(a.stdout), byCustomer(b.stdout)];
    expect([...fromA.keys()].sort()).toEqual(range(0, 9).map((i) => `customer-${i}`));
    for (const [customer, numbers] of fromA) {
      expect(numbers, customer).toEqual(range(1, 150));
      // B starts after what A stored (151), or a little before if A's last stores did not reach the broker.
      const next = fromB.get(customer)!;
      expect(next[0], customer).toBeLessThanOrEqual(151);
      expect(next[0], customer).toBeGreaterThan(140); // not from the start: after the offsets A stored
      expect(next, customer).toEqual(range(next[0]!, 300));
    }
    expect(b.matching(/B is active on invoices-\d, after offset \d+/)).toHaveLength(3);
    expect((await b.stop('SIGINT')).code).toBe(0);
  }, 120_000);
});
