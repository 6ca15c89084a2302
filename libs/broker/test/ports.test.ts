// Ports for private nodes: the kernel's "free port" is free only until somebody binds it, so the
// ports handed out are reserved until released, across the processes of a parallel test run.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort, release, reserve } from '../src/ports.js';

describe('freePort', () => {
  it('never hands out a port twice while it is reserved (the kernel alone repeats itself within a few hundred)', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 400; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    release(ports);
    expect(reserve(ports[0]!)).toBe(true);
    release([ports[0]!]);
  });

  it('a port reserved by another live process is not ours; once that process is gone, it can be', async () => {
    const port = await freePort();
    release([port]);
    const module = fileURLToPath(new URL('../src/ports.ts', import.meta.url));
    const holder = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
      `const { reserve } = await import(${JSON.stringify(module)}); console.log(reserve(${port})); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [first] = (await once(holder.stdout!, 'data')) as [Buffer];
      expect(first.toString().trim()).toBe('true');
      expect(reserve(port)).toBe(false);
      // Killed outright, it cannot clean up: its reservation is reused.
      holder.kill('SIGKILL');
      await once(holder, 'exit');
      expect(reserve(port)).toBe(true);
    } finally {
      holder.kill('SIGKILL');
      release([port]);
    }
  });
});
