import { describe, expect, it } from 'vitest';
import { publishConfirmed, runApp, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

describe('direct-logs', () => {
  it('one queue with several bindings gets each chosen severity; others go elsewhere', async () => {
    const problems = startApp('direct-logs', 'receive', ['warning', 'error'], vhost.env);
    const info = startApp('direct-logs', 'receive', ['info'], vhost.env);
    await problems.waitFor(/Waiting for logs/);
    await info.waitFor(/Waiting for logs/);
    expect(await runApp('direct-logs', 'emit', ['error', 'disk', 'full'], vhost.env)).toMatchObject({ code: 0, stdout: ' [x] Sent error:disk full' });
    const connection = await vhost.connect();
    await publishConfirmed(connection, 'direct_logs', ['info', 'warning', 'debug', 'error'].map((s) => ({ routingKey: s, body: `${s} message` })));
    await problems.waitFor(/^ \[x\] error:error message$/);
    await info.waitFor(/^ \[x\] info:info message$/);
    expect(problems.matching(/^ \[x\]/)).toEqual([' [x] error:disk full', ' [x] warning:warning message', ' [x] error:error message']);
    expect(info.matching(/^ \[x\]/)).toEqual([' [x] info:info message']);
  });

  it('says so when no receiver is bound for a severity (mandatory publish), still exits 0', async () => {
    const result = await runApp('direct-logs', 'emit', ['debug', 'nobody', 'listens'], vhost.env);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/no queue is bound for 'debug' on exchange 'direct_logs': that message was dropped/);
  });

  it.each([
    ['receive', ['k'.repeat(256)], 'error: a severity is at most 255 bytes (got 256)\nusage: receive'],
    ['emit', ['é'.repeat(128), 'text'], 'error: the severity is at most 255 bytes (got 256)\nusage: emit'],
  ])('%s with a key over 255 bytes: usage error before connecting, exit 2', async (role, args, stderr) => {
    const result = await runApp('direct-logs', role, args, { RABBITMQ_URL: 'amqp://127.0.0.1:1/' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(stderr);
  });

  it('receive without severities: usage, exit 2', async () => {
    const result = await runApp('direct-logs', 'receive', [], vhost.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('error: name at least one severity\nusage: receive <severity>... (e.g. info warning error)');
  });
});
