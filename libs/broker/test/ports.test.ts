// Ports for private nodes: the kernel's "free port" is free only until somebody binds it, so the
// ports handed out are reserved until released, across the processes of a parallel test run.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort, release, RESERVED, reserve } from '../src/ports.js';

describe('freePort', () => {
  it('never hands out a port twice while it is reserved (random picks alone repeat within a few hundred)', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 400; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    release(ports);
    expect(reserve(ports[0]!)).toBe(true);
    release([ports[0]!]);
  });

  it('a port reserved by another live process is not ours; once that process is gone, its reservation is swept away', async () => {
    const port = await freePort();
    release([port]);
    const module = fileURLToPath(new URL('../src/ports.ts', import.meta.url));
    const run = (code: string) => spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
      `const { freePort, reserve } = await import(${JSON.stringify(module)}); ${code}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const holder = run(`console.log(reserve(${port})); setInterval(() => {}, 1000);`);
    try {
      const [first] = (await once(holder.stdout!, 'data')) as [Buffer];
      expect(first.toString().trim()).toBe('true');
      expect(reserve(port)).toBe(false);
      // Killed outright, it cannot clean up; the next process to reserve a port sweeps its reservation.
      holder.kill('SIGKILL');
      await once(holder, 'exit');
      expect(existsSync(join(RESERVED, String(port)))).toBe(true);
      const next = run('await freePort();');
      expect((await once(next, 'exit'))[0]).toBe(0);
      expect(existsSync(join(RESERVED, String(port)))).toBe(false);
      expect(reserve(port)).toBe(true);
    } finally {
      holder.kill('SIGKILL');
      release([port]);
    }
  });
});
