import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive } from './process.js';

/*
 * A port the kernel calls free is free only until someone binds it, and a node binds its ports
 * seconds after they are chosen: two picks (in one node, or two nodes started at once by parallel
 * test files) can get the same port. So each port handed out is reserved by a file naming this
 * process; the reservation ends with release(), or with the process (a dead owner's file is reused,
 * and swept away by the next process that reserves a port).
 */
export const RESERVED = join(tmpdir(), `rabbit-tutorials-ports-${process.getuid?.() ?? 'user'}`);
const ours = new Set<number>();
let swept = false;
process.once('exit', () => release([...ours]));

/**
 * The folder must be ours alone: another local user who made it first (or put a link there) could make us
 * wait for ports for ever, or write through a link. Made 0700; refused with one line if it is not ours.
 */
function ownFolder(): void {
  try {
    mkdirSync(RESERVED, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const folder = lstatSync(RESERVED);
  const uid = process.getuid?.();
  if (!folder.isDirectory() || (uid !== undefined && folder.uid !== uid)) {
    throw new Error(`${RESERVED} (port reservations) is not a folder of this user's: ` +
      `${folder.isSymbolicLink() ? 'a link' : folder.isDirectory() ? `its owner is uid ${folder.uid}` : 'not a folder'}; remove it, or set TMPDIR to a folder of your own`);
  }
  if ((folder.mode & 0o077) !== 0) chmodSync(RESERVED, 0o700); // ours, made before with a looser mode
}

function sweep(): void {
  ownFolder();
  for (const name of readdirSync(RESERVED)) {
    const held = owner(Number(name));
    if (held !== undefined && !alive(held)) rmSync(join(RESERVED, name), { force: true });
  }
  swept = true;
}

function owner(port: number): number | undefined {
  try {
    return Number(readFileSync(join(RESERVED, String(port)), 'utf8')) || undefined;
  } catch {
    return undefined;
  }
}

/** Reserves a port for this process: false if it is already reserved, by us or by a live process. */
export function reserve(port: number, force = false): boolean {
  if (!swept) sweep();
  const file = join(RESERVED, String(port));
  const held = owner(port);
  if (held !== undefined && !force && (ours.has(port) || (held !== process.pid && alive(held)))) return false;
  try {
    if (held !== undefined || force) rmSync(file, { force: true }); // taken over: a new file, never written through an old one
    writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false; // reserved by someone else a moment ago
    throw err; // e.g. the folder gone: an error, not freePort() trying for ever
  }
  ours.add(port);
  return true;
}

/** Ends this process's reservations of these ports. */
export function release(ports: number[]): void {
  for (const port of ports) {
    if (!ours.delete(port)) continue;
    if (owner(port) === process.pid) rmSync(join(RESERVED, String(port)), { force: true });
  }
}

/** Can a server listen on this port now? */
export function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

/*
 * Chosen below the ephemeral range (Linux 32768-60999, macOS 49152-65535), not with listen(0): the
 * kernel gives ports of that range to every outgoing connection and every listen(0), the rabbitmqctl
 * CLI's own node included, so one could take a port between our choice and the node binding it.
 */
const RANGE = { from: 20_000, to: 32_767 };

/** A port nothing listens on, reserved for this process: no other freePort() returns it until released. */
export async function freePort(): Promise<number> {
  const tries = 2000;
  for (let i = 0; i < tries; i++) {
    const port = RANGE.from + Math.floor(Math.random() * (RANGE.to - RANGE.from + 1));
    if ((await isFree(port)) && reserve(port)) return port;
  }
  throw new Error(`no free port in ${RANGE.from}-${RANGE.to} after ${tries} tries: all in use, or reserved in ${RESERVED} by live processes`);
}
