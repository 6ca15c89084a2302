import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { track } from './apps.js';
import { AppProcess, ROOT } from '@rabbit-tutorials/broker';

const PEER = join(ROOT, 'libs/testing/test/pika_peer.py');

/** A Python that can import pika (Debian's python3-pika installs for /usr/bin/python3), or undefined. */
export const pikaPython: string | undefined = ['python3', '/usr/bin/python3'].find((python) => {
  try {
    execFileSync(python, ['-c', 'import pika'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});

export const NO_PIKA = 'pika is not installed (apt-get install python3-pika): the interoperability tests need it';

/** Runs one role of the pika tutorial peer (see pika_peer.py). */
export function startPika(role: string, args: string[], env: Record<string, string>): AppProcess {
  const child = spawn(pikaPython!, [PEER, role, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return track(new AppProcess(child, `pika:${role}`));
}
