import { describe, expect, it } from 'vitest';
import { publishConfirmed, runApp, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

describe('headers-logs', () => {
  it('x-match all needs every header, any needs one', async () => {
    const all = startApp('headers-logs', 'receive', ['all', 'level=error', 'source=db'], vhost.env);
    const any = startApp('headers-logs', 'receive', ['any', 'level=error', 'source=db'], vhost.env);
    await all.waitFor(/Waiting for logs/);
    await any.waitFor(/Waiting for logs/);
    expect(await runApp('headers-logs', 'emit', ['--header', 'level=error', '-H', 'source=db', 'disk', 'full'], vhost.env))
      .toMatchObject({ code: 0, stdout: ' [x] Sent {"level":"error","source":"db"}:disk full' });
    // Words with "=" after the headers are the message, not headers.
    expect(await runApp('headers-logs', 'emit', ['-H', 'level=info', 'a=b is the message'], vhost.env))
      .toMatchObject({ code: 0, stdout: ' [x] Sent {"level":"info"}:a=b is the message' });
    const connection = await vhost.connect();
    await publishConfirmed(connection, 'headers_logs', [
      { body: 'error from web', options: { headers: { level: 'error', source: 'web' } } },
      { body: 'info from db', options: { headers: { level: 'info', source: 'db' } } },
      { body: 'info from web', options: { headers: { level: 'info', source: 'web' } } },
      { body: 'end', options: { headers: { level: 'error', source: 'db', last: 'yes' } } },
    ]);
    await all.waitFor(/:end$/);
    await any.waitFor(/:end$/);
    const bodies = (app: typeof all) => app.matching(/^ \[x\]/).map((l) => l.replace(/^.*\}:/, ''));
    expect(bodies(all)).toEqual(['disk full', 'end']);
    expect(bodies(any)).toEqual(['disk full', 'error from web', 'info from db', 'end']);
    expect(bodies(all)).not.toContain('a=b is the message');
    expect(all.matching(/^ \[x\]/)[0]).toBe(' [x] {"level":"error","source":"db"}:disk full');
  });

  it('header names such as constructor and __proto__ are ordinary names: bound, sent, received', async () => {
    const receiver = startApp('headers-logs', 'receive', ['all', 'constructor=a', '__proto__=b'], vhost.env);
    await receiver.waitFor(/Waiting for logs/);
    const sent = await runApp('headers-logs', 'emit', ['-H', 'constructor=a', '-H', '__proto__=b', 'odd names'], vhost.env);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toBe(' [x] Sent {"constructor":"a","__proto__":"b"}:odd names');
    await receiver.waitFor(/odd names$/);
    // Routed by both headers (the binding needs all); amqplib's table decoder drops a "__proto__" key on the way in.
    expect(receiver.matching(/odd names/)).toEqual([' [x] {"constructor":"a"}:odd names']);
  });

  it.each([
    ['receive', [], /^error: the first argument must be all or any\nusage: receive <all\|any>/],
    ['receive', ['all'], /^error: give at least one header=value/],
    ['receive', ['any', 'level'], /^error: "level" is not a header=value/],
    ['receive', ['any', 'x-match=all'], /^error: header "x-match": names starting with x- are reserved/],
    ['emit', ['just words'], /^error: give at least one --header name=value\nusage: emit/],
    ['emit', ['-H', 'a=1', '-H', 'a=2'], /^error: header "a" is given twice\nusage: emit/],
    ['emit', ['-H', `${'n'.repeat(256)}=v`], /^error: a header name is at most 255 bytes \(got 256\)\nusage: emit/],
    ['receive', ['all', 'a=1', 'a=2'], /^error: header "a" is given twice/],
  ])('%s %j: usage error, exit 2', async (role, args, stderr) => {
    const result = await runApp('headers-logs', role, args, vhost.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(stderr);
  });
});
