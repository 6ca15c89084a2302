// Setup file of the restart and cluster projects. Their files restart, kill and freeze what they share
// (the run's broker; the three-node cluster), so each runs alone among its own project's files, while
// the two projects, which share nothing, run side by side. vitest has no such rule of its own: a lock
// file per project and broker naming its holder (as libs/broker's port reservations are), taken before
// a file's tests and given back after them.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { alive } from '@rabbit-tutorials/broker';
import { broker } from './index.js';

let held: string | undefined;

beforeAll(async ({}, suite) => {
  const lock = join(tmpdir(), `rabbit-tutorials-${suite.file.projectName ?? 'tests'}-${broker().hostname}-${broker().port}.lock`);
  for (;;) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
      held = lock;
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    // A holder that died (a crashed worker) leaves its lock behind.
    const pid = Number(await readFile(lock, 'utf8').catch(() => ''));
    if (pid > 0 && !alive(pid)) await rm(lock, { force: true });
    else await new Promise((resolve) => setTimeout(resolve, 250));
  }
}, 30 * 60_000); // as long as the other files of the project take

afterAll(async () => {
  if (held) await rm(held, { force: true });
  held = undefined;
});
