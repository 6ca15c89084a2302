// A broker restart while messages wait out their backoff: none is lost, each is done once.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cannotRestart, eventually, queueDepth, restart, runApp, startApp, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();

describe('retry across a broker restart', () => {
  it('messages waiting in retry.wait.5s when the broker restarts come back after it and are done, each once', async (ctx) => {
    if (cannotRestart()) return ctx.skip(cannotRestart());
    const store = join(mkdtempSync(join(tmpdir(), 'retry-')), 'handled.log');
    const worker = startApp('retry', 'worker', ['--store', store, '--quiet'], vhost.env);
    await worker.waitFor(/Waiting for messages/);
    expect((await runApp('retry', 'send', ['--count', '200', 'backoff!!'], vhost.env)).code).toBe(0); // fail twice: 1 s, then 5 s
    const connection = await vhost.connect();
    await eventually(async () => (await queueDepth(connection, 'retry.wait.5s')) === 200, 20_000, 'all 200 waiting their 5 s');

    await restart();

    await worker.waitFor(/reconnected to amqp:\/\/\S+; topology and consumers restored/, 1, 60_000);
    await eventually(() => readFileSync(store, 'utf8').split('\n').filter(Boolean).length >= 200, 60_000, '200 handled');
    const ids = readFileSync(store, 'utf8').split('\n').filter(Boolean).map((line) => line.split('\t')[0]);
    expect(ids).toHaveLength(200);
    expect(new Set(ids).size).toBe(200);
    const again = await vhost.connect();
    for (const q of ['retry.work', 'retry.wait.1s', 'retry.work.after-1s', 'retry.wait.5s', 'retry.work.after-5s', 'retry.parked']) {
      expect(await queueDepth(again, q), q).toBe(0);
    }
    expect((await worker.stop('SIGTERM')).code).toBe(0);
  });
});
