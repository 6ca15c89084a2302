import { describe, expect, it } from 'vitest';
import { publishConfirmed, runApp, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

// The routing table of the RabbitMQ topics tutorial: Q1 binds *.orange.*, Q2 binds *.*.rabbit and lazy.#.
const TABLE: [string, ('Q1' | 'Q2')[]][] = [
  ['quick.orange.rabbit', ['Q1', 'Q2']],
  ['lazy.orange.elephant', ['Q1', 'Q2']],
  ['quick.orange.fox', ['Q1']],
  ['lazy.brown.fox', ['Q2']],
  ['lazy.pink.rabbit', ['Q2']], // matches both of Q2's bindings, delivered once
  ['quick.brown.fox', []],
  ['orange', []],
  ['quick.orange.male.rabbit', []],
  ['lazy.orange.male.rabbit', ['Q2']],
];

describe('topic-logs', () => {
  it('routes the tutorial table: * is one word, # zero or more, one copy per queue', async () => {
    const q1 = startApp('topic-logs', 'receive', ['*.orange.*'], vhost.env);
    const q2 = startApp('topic-logs', 'receive', ['*.*.rabbit', 'lazy.#'], vhost.env);
    await q1.waitFor(/Waiting for logs/);
    await q2.waitFor(/Waiting for logs/);
    const connection = await vhost.connect();
    // The last message reaches both: once it is there, everything before it has been routed.
    await publishConfirmed(connection, 'topic_logs', [...TABLE.map(([key]) => key), 'end.orange.rabbit'].map((key) => ({ routingKey: key, body: key })));
    await q1.waitFor(/end\.orange\.rabbit$/);
    await q2.waitFor(/end\.orange\.rabbit$/);
    const got = (app: typeof q1) => app.matching(/^ \[x\]/).map((l) => l.replace(/^ \[x\] ([^:]+):.*$/, '$1')).filter((k) => k !== 'end.orange.rabbit');
    expect(got(q1)).toEqual(TABLE.filter(([, to]) => to.includes('Q1')).map(([key]) => key));
    expect(got(q2)).toEqual(TABLE.filter(([, to]) => to.includes('Q2')).map(([key]) => key));
  });

  it('emit uses the tutorial defaults and the key given', async () => {
    const all = startApp('topic-logs', 'receive', ['#'], vhost.env);
    await all.waitFor(/Waiting for logs/);
    expect(await runApp('topic-logs', 'emit', ['kern.critical', 'A critical kernel error'], vhost.env))
      .toMatchObject({ code: 0, stdout: ' [x] Sent kern.critical:A critical kernel error' });
    expect((await runApp('topic-logs', 'emit', [], vhost.env)).stdout).toBe(' [x] Sent anonymous.info:Hello World!');
    await all.waitFor(/^ \[x\] anonymous\.info:Hello World!$/);
    expect(all.matching(/^ \[x\]/)[0]).toBe(' [x] kern.critical:A critical kernel error');
  });

  it.each([
    ['receive', ['a', 'k'.repeat(256)], 'error: a binding key is at most 255 bytes (got 256)\nusage: receive'],
    ['emit', ['k'.repeat(300), 'text'], 'error: the routing key is at most 255 bytes (got 300)\nusage: emit'],
  ])('%s with a key over 255 bytes: usage error before connecting, exit 2', async (role, args, stderr) => {
    const result = await runApp('topic-logs', role, args, { RABBITMQ_URL: 'amqp://127.0.0.1:1/' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(stderr);
  });

  it('emit --help prints the usage and publishes nothing (not to the key "--help")', async () => {
    const all = startApp('topic-logs', 'receive', ['#'], vhost.env);
    await all.waitFor(/Waiting for logs/);
    const help = await runApp('topic-logs', 'emit', ['--help'], vhost.env);
    expect(help).toMatchObject({ code: 0, stdout: expect.stringMatching(/^usage: emit /) });
    await runApp('topic-logs', 'emit', ['after.help', 'marker'], vhost.env);
    await all.waitFor(/after\.help:marker$/);
    expect(all.matching(/^ \[x\]/)).toEqual([' [x] after.help:marker']);
  });

  it('receive without binding keys: usage, exit 2', async () => {
    const result = await runApp('topic-logs', 'receive', [], vhost.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: name at least one binding key\nusage: receive <binding\.key>/);
  });
});
