// Ctrl+C and SIGTERM on `nx run <app>:<role>` do what they do under tsx: the message in progress is
// finished and acked, the connection closed, the program exits 0, and every line it prints on the way
// reaches the terminal. A terminal sends SIGINT to its whole foreground process group (npx, nx, nx's
// task process and the program), and nx then stops the task with SIGTERM: the test starts nx in a
// process group of its own and signals the group the same way, or runs it in a real terminal (script).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AppProcess, ROOT, eventually, noStreamClient, publishConfirmed, queueDepth, useVhost } from '@rabbit-tutorials/testing';

const vhost = useVhost();
const groups: number[] = [];
afterEach(() => {
  for (const pid of groups.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** `npx nx run target -- args` in a process group of its own; returns it and how its processes ended. */
function nxRun(target: string, args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'exit-codes-'));
  const file = join(dir, 'codes');
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RABBITMQ_') && !k.startsWith('NX_')));
  const child = spawn(join(ROOT, 'node_modules/.bin/nx'), ['run', target, '--', ...args], {
    cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...clean, ...vhost.env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0',
      NODE_OPTIONS: `--require ${join(ROOT, 'tools/nx-plugin/test/fixtures/exit-code.cjs')}`, EXIT_CODES_FILE: file },
  });
  groups.push(child.pid!);
  const nx = new AppProcess(child, `nx run ${target}`);
  /** The exit code the program wrote at its exit (nx may exit first); none if it was killed (SIGKILL). */
  const programCode = async (script: string) => {
    let line: string | undefined;
    const written = () => (line = (existsSync(file) ? readFileSync(file, 'utf8') : '').split('\n').find((l) => l.startsWith(`${script} `))) !== undefined;
    await eventually(written, 15_000, `${script} to exit`).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  };
  return { nx, programCode, signalGroup: (signal: NodeJS.Signals) => process.kill(-child.pid!, signal) };
}

describe('nx run: Ctrl+C and SIGTERM', () => {
  it('task-queue:worker, Ctrl+C mid-task: the task is finished and acked (nx waits up to 40 s: .local.env), the worker exits 0 and its lines come through', async () => {
    const { nx, programCode, signalGroup } = nxRun('task-queue:worker', ['--dot-ms', '800']);
    await nx.waitFor(/Waiting for messages/, 1, 60_000);
    const connection = await vhost.connect();
    await publishConfirmed(connection, '', [{ routingKey: 'task_queue', body: 'eight........', options: { persistent: true } }]);
    await nx.waitFor(/Received eight/);
    signalGroup('SIGINT'); // the terminal's Ctrl+C
    const { code } = await nx.exited;
    expect(code).toBe(130); // nx's own rule for an interrupted run (docs/operations.md)
    expect(await programCode('worker.ts'), nx.stderr.join('\n')).toBe(0);
    // What the worker said after the signal came through nx too.
    expect(nx.stderr.filter((line) => /waiting up to \d+ ms for 1 message/.test(line)), nx.stderr.join('\n')).toHaveLength(1);
    expect(nx.matching(/ \[x\] Done eight/)).toHaveLength(1);
    // The worker's connection is gone, so an unacked task would be back in the queue: it is not.
    expect(await queueDepth(connection, 'task_queue')).toBe(0);
  }, 90_000);

  it('in a terminal (script(1)), Ctrl+C: every line the worker prints while it finishes its task reaches the terminal', async () => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RABBITMQ_') && !k.startsWith('NX_')));
    // script runs nx in a pseudo-terminal and copies its stdin there: a \x03 written to it is the key
    // press, which the terminal turns into SIGINT for the foreground process group.
    const child = spawn('script', ['-qfec', `${join(ROOT, 'node_modules/.bin/nx')} run task-queue:worker -- --dot-ms 800`, '/dev/null'], {
      cwd: ROOT, detached: true, stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...clean, ...vhost.env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', TERM: 'xterm' },
    });
    groups.push(child.pid!);
    const terminal = new AppProcess(child, 'script nx run task-queue:worker');
    await terminal.waitFor(/Waiting for messages/, 1, 60_000);
    const connection = await vhost.connect();
    await publishConfirmed(connection, '', [{ routingKey: 'task_queue', body: 'five.....', options: { persistent: true } }]);
    await terminal.waitFor(/Received five/);
    child.stdin.write('\x03');
    await terminal.waitFor(/SIGINT: shutting down/);
    await terminal.waitFor(/waiting up to \d+ ms for 1 message\(s\) in progress/);
    await terminal.waitFor(/ \[x\] Done five/, 1, 15_000);
    child.stdin.end();
    expect((await terminal.exited).code).toBe(130);
    expect(await queueDepth(connection, 'task_queue')).toBe(0);
  }, 90_000);

  it('every long-running role stops cleanly (exit 0) on Ctrl+C and on SIGTERM to the process group', async () => {
    const noStreams = await noStreamClient();
    const roles: [string, string[], string, RegExp][] = [
      ['hello:receive', [], 'receive.ts', /Waiting for messages/],
      ['fanout-logs:receive', [], 'receive.ts', /Waiting for logs/],
      ['direct-logs:receive', ['error'], 'receive.ts', /Waiting for logs/],
      ['topic-logs:receive', ['#'], 'receive.ts', /Waiting for logs/],
      ['headers-logs:receive', ['any', 'level=error'], 'receive.ts', /Waiting for logs/],
      ['rpc-fib:server', [], 'server.ts', /Awaiting RPC requests/],
      ['stream-queue:receive', [], 'receive.ts', /Reading 'hello-nodejs-stream'/],
      ...(noStreams ? [] : [
        ['stream-hello:receive', [], 'receive.ts', /Waiting for messages/] as [string, string[], string, RegExp],
        ['stream-offset-tracking:receive', [], 'receive.ts', /Start consuming/] as [string, string[], string, RegExp],
      ]),
    ];
    for (const [i, [target, args, script, ready]] of roles.entries()) {
      const { nx, programCode, signalGroup } = nxRun(target, args);
      await nx.waitFor(ready, 1, 60_000);
      // Ctrl+C in a terminal, or a supervisor's SIGTERM to the whole group (systemd, docker stop, kill -TERM -PGID).
      signalGroup(i % 2 === 0 ? 'SIGINT' : 'SIGTERM');
      const { code } = await nx.exited;
      expect(code, target).toBe(130); // nx's code for an interrupted run, whichever signal stopped it
      expect(await programCode(script), `${target}\n${nx.stdout.join("\n")}\n${nx.stderr.join("\n")}`).toBe(0);
      expect(nx.stderr.filter((line) => /(SIGINT|SIGTERM): shutting down$/.test(line)), target).toHaveLength(1);
    }
    if (noStreams) console.log(`stream-hello and stream-offset-tracking not run: ${noStreams}`);
  }, 240_000);
});
