// Ports for private nodes: the kernel's "free port" is free only until somebody binds it, so the
// ports handed out are reserved until released, across the processes of a parallel test run.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

  it('the reservations folder must be this user\'s: another owner\'s, or a link, is refused in one line; a link inside is never written through', async (ctx) => {
    const module = fileURLToPath(new URL('../src/ports.ts', import.meta.url));
    const inTmp = (tmp: string) => new Promise<{ code: number | null; err: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
        `const { freePort } = await import(${JSON.stringify(module)}); await freePort();`], { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d));
      child.on('close', (code) => resolve({ code, err }));
    });
    const tmp = mkdtempSync(join(tmpdir(), 'ports-'));
    try {
      const folder = join(tmp, `rabbit-tutorials-ports-${process.getuid?.() ?? 'user'}`);
      symlinkSync(tmp, folder);
      const linked = await inTmp(tmp);
      expect(linked.code).toBe(1);
      expect(linked.err).toContain(`${folder} (port reservations) is not a folder of this user's: a link; remove it, or set TMPDIR to a folder of your own`);
      rmSync(folder);
      if (process.getuid?.() === 0) { // another owner: only root can make one here
        mkdirSync(folder, { mode: 0o777 });
        chownSync(folder, 65534, 65534);
        const theirs = await inTmp(tmp);
        expect(theirs.code).toBe(1);
        expect(theirs.err).toContain(`${folder} (port reservations) is not a folder of this user's: its owner is uid 65534`);
        rmSync(folder, { recursive: true });
      }
      // Ours, but left open by an older version: made private, and used.
      mkdirSync(folder, { mode: 0o777 });
      chmodSync(folder, 0o777);
      expect((await inTmp(tmp)).code).toBe(0);
      expect(statSync(folder).mode & 0o777).toBe(0o700);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    // A forced reservation over an entry that is a link replaces the entry; the link's target is untouched.
    const port = await freePort();
    release([port]);
    const target = join(mkdtempSync(join(tmpdir(), 'ports-target-')), 'precious');
    writeFileSync(target, 'keep');
    symlinkSync(target, join(RESERVED, String(port)));
    try {
      expect(reserve(port, true)).toBe(true);
      expect(readFileSync(target, 'utf8')).toBe('keep');
      expect(lstatSync(join(RESERVED, String(port))).isFile()).toBe(true);
    } finally {
      release([port]);
    }
    ctx.onTestFinished(() => rmSync(target, { force: true }));
  });
});
