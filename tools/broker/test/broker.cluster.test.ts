// npm run broker -- --nodes 3: a cluster of local nodes that works, and goes away entirely on Ctrl+C,
// even after one of its nodes was killed.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppProcess, ROOT, hasLocalRabbitmq } from '@rabbit-tutorials/broker';
import { runApp } from '@rabbit-tutorials/testing';

describe.skipIf(!hasLocalRabbitmq())('npm run broker -- --nodes 3', () => {
  it('forms one cluster of three nodes, prints the addresses, and removes every node on Ctrl+C, a killed one included', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tools/broker/src/broker.ts'), '--nodes', '3'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const cli = new AppProcess(child, 'npm run broker -- --nodes 3');
    try {
      await cli.waitFor(/^Ctrl\+C stops the nodes/, 1, 150_000);
      const out = cli.stdout.join('\n');
      const url = /RABBITMQ_URL=(\S+)/.exec(out)![1]!;
      const streamPorts = /RABBITMQ_STREAM_PORT=(\S+)/.exec(out)![1]!;
      expect(url.split(',')).toHaveLength(3);
      expect(streamPorts.split(',')).toHaveLength(3);
      const dirs = [...out.matchAll(/(\/\S+rabbit-tutorials-broker-\S+)$/gm)].map((m) => m[1]!);
      expect(dirs).toHaveLength(3);
      // The programs take the list; a quorum queue gets a member on each node.
      const env = { RABBITMQ_URL: url, RABBITMQ_STREAM_PORT: streamPorts };
      expect(await runApp('hello', 'send', ['on the cluster'], env)).toMatchObject({ code: 0 });
      const management = /RABBITMQ_MANAGEMENT_URL=(\S+)/.exec(out)![1]!;
      const queue = await (await fetch(`${management}/api/queues/%2F/hello`, { headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` } })).json() as { members: string[] };
      expect(queue.members).toHaveLength(3);
      // One node dies; Ctrl+C still removes everything.
      process.kill(Number(readFileSync(join(dirs[1]!, 'rabbitmq.pid'), 'utf8')), 'SIGKILL');
      process.kill(-child.pid!, 'SIGINT');
      expect((await cli.exited).code).toBe(0);
      for (const dir of dirs) expect(existsSync(dir), dir).toBe(false);
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
});
