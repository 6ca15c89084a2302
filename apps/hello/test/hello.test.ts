import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, publishConfirmed, runApp, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

describe('hello', () => {
  it('send - reads the message from standard input: bodies over the command-line limit', async () => {
    const receiver = startApp('hello', 'receive', [], vhost.env);
    await receiver.waitFor(/Waiting for messages/);
    const body = 'b'.repeat(300_000); // more than one argument may hold (128 KiB on Linux)
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'apps/hello/src/send.ts'), '-'], { env: { ...process.env, ...vhost.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end(body);
    expect(await new Promise((resolve) => child.once('close', resolve))).toBe(0);
    await receiver.waitFor(/\(300000 characters\)'$/);
  });

  it('--help prints the usage and sends nothing; arguments a role does not take are an error', async () => {
    const help = await runApp('hello', 'send', ['--help'], vhost.env);
    expect(help).toMatchObject({ code: 0, stdout: expect.stringMatching(/^usage: send /) });
    const receive = await runApp('hello', 'receive', ['extra'], vhost.env);
    expect(receive.code).toBe(2);
    expect(receive.stderr).toMatch(/^error: Unexpected argument 'extra'.*\nusage: receive$/);
    const connection = await vhost.connect();
    await expect((await connection.createChannel()).checkQueue('hello')).rejects.toThrow(/404/);
  });

  it('prints a body escaped and cut: no forged log lines, no terminal escape codes', async () => {
    const receiver = startApp('hello', 'receive', [], vhost.env);
    await receiver.waitFor(/Waiting for messages/);
    const connection = await vhost.connect();
    const forged = "hi'\n [x] Received 'forged'\n\x1b[31mred";
    // Bidirectional controls would make the line read as something else ("exe.txt" shown as "txt.exe").
    const bidi = 'file\u202Etxt.exe \u2066a\u2069 \u061C\u200E\u200F';
    await publishConfirmed(connection, '', [{ routingKey: 'hello', body: forged }, { routingKey: 'hello', body: bidi },
      { routingKey: 'hello', body: 'x'.repeat(10_000) }]);
    await receiver.waitFor(/characters\)'$/);
    expect(receiver.matching(/Received/)).toEqual([
      " [x] Received 'hi'\\n [x] Received 'forged'\\n\\x1b[31mred'",
      " [x] Received 'file\\u202etxt.exe \\u2066a\\u2069 \\u061c\\u200e\\u200f'",
      ` [x] Received '${'x'.repeat(200)}... (10000 characters)'`,
    ]);
  });

  it('send → receive: the receiver prints what was sent, both exit 0', async () => {
    const receiver = startApp('hello', 'receive', [], vhost.env);
    await receiver.waitFor(/Waiting for messages/);
    const sent = await runApp('hello', 'send', ['Hello', 'RabbitMQ!'], vhost.env);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toBe(" [x] Sent 'Hello RabbitMQ!'");
    await receiver.waitFor(/^ \[x\] Received 'Hello RabbitMQ!'$/);
    expect((await receiver.stop('SIGINT')).code).toBe(0);
  });

  it('keeps a message sent before any receiver runs (durable queue, persistent message)', async () => {
    expect((await runApp('hello', 'send', [], vhost.env)).code).toBe(0);
    const receiver = startApp('hello', 'receive', [], vhost.env);
    await receiver.waitFor(/^ \[x\] Received 'Hello World!'$/);
  });

  it('rejects a body that is not UTF-8 instead of printing garbage, and goes on', async () => {
    const receiver = startApp('hello', 'receive', [], vhost.env);
    await receiver.waitFor(/Waiting for messages/);
    const connection = await vhost.connect();
    await publishConfirmed(connection, '', [{ routingKey: 'hello', body: Buffer.from([0xc3, 0x28]) }, { routingKey: 'hello', body: 'after' }]);
    await receiver.waitFor(/^ \[x\] Received 'after'$/);
    await receiver.waitFor(/rejected a message from 'hello' \(The encoded data was not valid for encoding utf-8\)/);
    expect(receiver.matching(/Received/)).toHaveLength(1);
  });
});
