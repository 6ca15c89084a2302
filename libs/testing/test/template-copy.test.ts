// "Use as a template": each app's src/ and libs/connection/src (and libs/stream/src for the stream-protocol
// apps), with starter/'s package.json and
// tsconfig.json, copied into an empty folder outside the workspace where only the starter's packages
// (and rabbitmq-stream-js-client for the stream-protocol apps) are installed: strict tsc passes, and
// one round trip runs.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppProcess, ROOT, noStreamClient, track, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();
/** The apps people copy (troubleshoot reproduces failures, with the management API: not a template). */
const templates = readdirSync(join(ROOT, 'apps')).filter((app) => app !== 'troubleshoot');
/** The apps on the stream protocol's client, as their package.json says. */
const streamClient = (app: string) => 'rabbitmq-stream-js-client' in (JSON.parse(readFileSync(join(ROOT, 'apps', app, 'package.json'), 'utf8')).dependencies ?? {});
const starter = JSON.parse(readFileSync(join(ROOT, 'starter/package.json'), 'utf8'));
const projects = new Map<string, string>();

beforeAll(() => {
  for (const app of templates) {
    // The README's recipe, for this app, in an empty folder outside the workspace.
    const project = mkdtempSync(join(tmpdir(), `my-${app}-`));
    cpSync(join(ROOT, 'apps', app, 'src'), join(project, 'src'), { recursive: true });
    cpSync(join(ROOT, 'libs/connection/src'), join(project, 'connection'), { recursive: true });
    if (streamClient(app)) cpSync(join(ROOT, 'libs/stream/src'), join(project, 'stream'), { recursive: true });
    for (const file of ['package.json', 'tsconfig.json']) cpSync(join(ROOT, 'starter', file), join(project, file));
    // npm install (and rabbitmq-stream-js-client for the stream-protocol apps), without the network:
    // the same packages, linked from the workspace.
    const packages = [...Object.keys(starter.dependencies), ...Object.keys(starter.devDependencies), ...(streamClient(app) ? ['rabbitmq-stream-js-client'] : [])];
    for (const name of packages) {
      mkdirSync(dirname(join(project, 'node_modules', name)), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', name), join(project, 'node_modules', name));
    }
    projects.set(app, project);
  }
});
afterAll(() => {
  for (const project of projects.values()) rmSync(project, { recursive: true, force: true });
});

/** A role of a copied app, run as `node --import tsx src/<role>.ts` in its project. */
function copied(app: string, role: string, args: string[] = []): AppProcess {
  const project = projects.get(app)!;
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RABBITMQ_') && k !== 'NODE_PATH'));
  const child = spawn(process.execPath, ['--import', 'tsx', join('src', `${role}.ts`), ...args], {
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
  it('passes strict tsc with only the copied files and the packages the recipe installs, for every app', async () => {
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const check = (app: string) => new Promise<[string, number | null, string]>((resolve) => {
      const child = spawn(process.execPath, [tsc, '--noEmit', '-p', '.'], { cwd: projects.get(app)!, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d));
      child.stderr.on('data', (d: Buffer) => (out += d));
      child.on('close', (code) => resolve([app, code, out]));
    });
    const pending = [...templates];
    const lane = async (results: [string, number | null, string][]) => {
      for (let app = pending.shift(); app; app = pending.shift()) results.push(await check(app));
      return results;
    };
    const results = (await Promise.all([lane([]), lane([])])).flat();
    expect(results).toHaveLength(templates.length);
    for (const [app, code, out] of results) expect(code, `${app}: ${out}`).toBe(0);
  }, 120_000);

  it('imports only its client library, node: built-ins, its own files and @rabbit-tutorials/connection (and /stream), as its package.json says', () => {
    for (const app of templates) {
      const client = streamClient(app) ? 'rabbitmq-stream-js-client' : 'amqplib';
      const libs = streamClient(app) ? 'connection|stream' : 'connection';
      for (const file of readdirSync(join(ROOT, 'apps', app, 'src'))) {
        const imports = [...readFileSync(join(ROOT, 'apps', app, 'src', file), 'utf8').matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]!);
        for (const spec of imports) expect(spec, `${app}/src/${file}`).toMatch(new RegExp(`^(${client}(/.*)?|node:.*|\\./.*|@rabbit-tutorials/(${libs}))$`)); // (/...: a module of the client itself)
      }
      expect(JSON.parse(readFileSync(join(ROOT, 'apps', app, 'package.json'), 'utf8')).dependencies)
        .toEqual({ '@rabbit-tutorials/connection': expect.any(String), [client]: expect.any(String), ...(streamClient(app) && { '@rabbit-tutorials/stream': expect.any(String) }) });
    }
  });

  it('hello, task-queue, retry, fanout/direct/topic/headers logs: producer to consumer', async () => {
    const cases: [string, string, string[], string, string[], RegExp][] = [
      ['hello', 'receive', [], 'send', ['copied'], /Received 'copied'/],
      ['task-queue', 'worker', ['--dot-ms', '0'], 'new-task', ['copied.'], /Done copied\./],
      ['retry', 'worker', [], 'send', ['copied!'], /Done copied! \(id \S+\) on attempt 2/],
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

  it('npm start runs the role the recipe names, with the broker its .env names (none in the environment)', async () => {
    const project = projects.get('task-queue')!;
    execFileSync('npm', ['pkg', 'set', 'scripts.start=exec node --import tsx src/worker.ts'], { cwd: project });
    writeFileSync(join(project, '.env'), Object.entries({ ...vhost.env, RABBITMQ_SHUTDOWN_TIMEOUT_MS: '5000' }).map(([k, v]) => `${k}=${v}\n`).join(''));
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RABBITMQ_') && !k.startsWith('npm_')));
    const start = spawn('npm', ['start', '--silent'], { cwd: project, env: clean, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const worker = track(new AppProcess(start, 'npm start of the copied task-queue'));
    try {
      await worker.waitFor(/Waiting for messages/, 1, 30_000);
      await worker.waitFor(new RegExp(`connected to amqp://\\S+/${vhost.name}$`)); // the .env's broker and vhost
      await finished(copied('task-queue', 'new-task', ['started.']));
      await worker.waitFor(/Done started\./);
      // SIGTERM to npm alone, as `docker stop` signals a container's first process: npm passes it to its
      // script's process, the worker itself (exec: no shell between to die of it), and exits with its code.
      const exited = new Promise((resolve) => start.once('exit', resolve));
      start.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      try {
        process.kill(-start.pid!, 'SIGKILL'); // what is left of its group (nothing, unless the test failed)
      } catch {
        // all gone
      }
    }
    await worker.exited;
    expect(worker.stderr.filter((line) => /SIGTERM: shutting down$|^error/.test(line))).toEqual([`[${basename(project)}:worker] SIGTERM: shutting down`]);
  }, 60_000);

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
    expect(await finished(copied('rpc-fib', 'many-calls', ['20', '21']))).toMatch(/^ \[\.\] fib\(2[01]\) = \d+\n \[\.\] fib\(2[01]\) = \d+\n2 calls/);
    expect(await finished(copied('publisher-confirms', 'publish', ['--count', '100', '--strategy', 'async'])))
      .toMatch(/^Published 100 messages with asynchronous confirms in .* 100 counted in the queue$/);
  }, 60_000);

  it('stream-hello and stream-offset-tracking: the stream protocol', async (ctx) => {
    const tooOld = await noStreamClient();
    if (tooOld) return ctx.skip(tooOld);
    const reader = copied('stream-hello', 'receive');
    await reader.waitFor(/Waiting for messages/);
    await finished(copied('stream-hello', 'send', ['copied']));
    await reader.waitFor(/Received message copied$/);
    expect((await reader.stop('SIGTERM')).code).toBe(0);
    await finished(copied('stream-offset-tracking', 'send'));
    expect(await finished(copied('stream-offset-tracking', 'receive'))).toMatch(/Done consuming/);
  }, 60_000);
});
