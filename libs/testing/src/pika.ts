import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { track } from './apps.js';
import { AppProcess, ROOT } from '@rabbit-tutorials/broker';

/** pika programs: the official tutorials' declarations, or the classic (pre-quorum) ones (vhost demo, RABBITMQ_MASTER_*). */
const PEERS = { tutorials: join(ROOT, 'libs/testing/test/pika_peer.py'), classic: join(ROOT, 'libs/testing/test/pika_classic.py') };

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

/** Runs one role of a pika peer (see pika_peer.py and pika_classic.py). */
export function startPika(role: string, args: string[], env: Record<string, string>, peer: keyof typeof PEERS = 'tutorials'): AppProcess {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('RABBITMQ_')));
  const child = spawn(pikaPython!, [PEERS[peer], role, ...args], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return track(new AppProcess(child, `pika:${role}`));
}
