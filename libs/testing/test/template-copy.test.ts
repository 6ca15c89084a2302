// "Use as a template": each app folder plus libs/connection, copied into an empty project outside the
// workspace where only amqplib (rabbitmq-stream-js-client for the stream-protocol apps) and tsx are
// installed, runs and shows its pattern.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppProcess, ROOT, track, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();
let project: string;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'my-service-'));
  // What the README tells a user to do: copy the folders, install amqplib and tsx, and the copied lib.
  for (const app of readdirSync(join(ROOT, 'apps'))) cpSync(join(ROOT, 'apps', app, 'src'), join(project, app, 'src'), { recursive: true });
  cpSync(join(ROOT, 'libs/connection/src'), join(project, 'connection/src'), { recursive: true });
  cpSync(join(ROOT, 'libs/connection/package.json'), join(project, 'connection/package.json'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-service', private: true, type: 'module' }));
  // npm install amqplib tsx ./connection, without the network: the same packages, linked.
  mkdirSync(join(project, 'node_modules/@rabbit-tutorials'), { recursive: true });
  for (const dep of ['amqplib', 'rabbitmq-stream-js-client', 'tsx']) symlinkSync(join(ROOT, 'node_modules', dep), join(project, 'node_modules', dep));
  symlinkSync(join(project, 'connection'), join(project, 'node_modules/@rabbit-tutorials/connection'));
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

/** A role of a copied app, run as `npx tsx <app>/src/<role>.ts` from the new project. */
function copied(app: string, role: string, args: string[] = []): AppProcess {
  const tsx = join(project, 'node_modules/tsx/dist/cli.mjs');
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RABBITMQ_') && k !== 'NODE_PATH'));
  const child = spawn(process.execPath, [tsx, join(app, 'src', `${role}.ts`), ...args], {
    cwd: project, env: { ...clean, ...vhost.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  return track(new AppProcess(child, `copy of ${app}:${role}`));
}

async function finished(proc: AppProcess): Promise<string> {
  const { code } = await proc.exited;
  expect(code, proc.stderr.join('\n')).toBe(0);
  return proc.stdout.join('\n');
}

describe('each app copied with libs/connection into an empty project', () => {
  it('imports only its client library, node: built-ins, its own files and @rabbit-tutorials/connection, as its package.json says', () => {
    for (const app of readdirSync(join(ROOT, 'apps'))) {
      if (app === 'troubleshoot') continue; // not a template: it also creates users through the management API
      const client = app.startsWith('stream-') && app !== 'stream-queue' ? 'rabbitmq-stream-js-client' : 'amqplib';
      for (const file of readdirSync(join(ROOT, 'apps', app, 'src'))) {
        const imports = [...readFileSync(join(ROOT, 'apps', app, 'src', file), 'utf8').matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]!);
        for (const spec of imports) expect(spec, `${app}/src/${file}`).toMatch(new RegExp(`^(${client}|node:.*|\\./.*|@rabbit-tutorials/connection)$`));
      }
      expect(JSON.parse(readFileSync(join(ROOT, 'apps', app, 'package.json'), 'utf8')).dependencies)
        .toEqual({ '@rabbit-tutorials/connection': expect.any(String), [client]: expect.any(String) });
    }
  });

  it('hello, task-queue, fanout/direct/topic/headers logs: producer to consumer', async () => {
    const cases: [string, string, string[], string, string[], RegExp][] = [
      ['hello', 'receive', [], 'send', ['copied'], /Received 'copied'/],
      ['task-queue', 'worker', ['--dot-ms', '0'], 'new-task', ['copied.'], /Done copied\./],
      ['fanout-logs', 'receive', [], 'emit', ['copied'], / \[x\] copied$/],
      ['direct-logs', 'receive', ['error'], 'emit', ['error', 'copied'], /error:copied/],
      ['topic-logs', 'receive', ['*.copied'], 'emit', ['a.copied', 'yes'], /a\.copied:yes/],
      ['headers-logs', 'receive', ['all', 'from=copy'], 'emit', ['--header', 'from=copy', 'copied'], /:copied$/],
    ];
    for (const [app, consumerRole, consumerArgs, producerRole, producerArgs, expected] of cases) {
      const consumer = copied(app, consumerRole, consumerArgs);
      await consumer.waitFor(/Waiting for/);
      await finished(copied(app, producerRole, producerArgs));
      await consumer.waitFor(expected);
      expect((await consumer.stop('SIGTERM')).code).toBe(0);
    }
  }, 90_000);

  it('stream-queue: a stream over AMQP 0-9-1', async () => {
    expect(await finished(copied('stream-queue', 'send', ['copied']))).toBe(" [x] Sent 'copied'");
    const reader = copied('stream-queue', 'receive', ['--offset', 'first']);
    await reader.waitFor(/Received message copied \(offset 0\)/);
    expect((await reader.stop('SIGTERM')).code).toBe(0);
  });

  it('rpc-fib and publisher-confirms', async () => {
    const server = copied('rpc-fib', 'server');
    await server.waitFor(/Awaiting RPC requests/);
    expect(await finished(copied('rpc-fib', 'client', ['20']))).toBe(' [x] Requesting fib(20)\n [.] Got 6765');
    expect(await finished(copied('publisher-confirms', 'publish', ['--count', '100', '--strategy', 'async'])))
      .toMatch(/^Published 100 messages with asynchronous confirms in .* 100 counted in the queue$/);
  }, 60_000);
});
