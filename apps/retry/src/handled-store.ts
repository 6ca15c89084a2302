// The message ids this worker has handled, with each one's result, so that a message delivered again
// (its worker died between the work and the ack) is not worked on twice. The id and the result are
// written in one append: the work's effect and its record cannot part. Bounded: the newest 100,000, each
// result cut to 200 characters; the file is this user's only (0600, never through a link), read in chunks.
//
// In production this is where the work itself writes: a table with a unique key on the message id,
// filled in the same transaction as the work (or Redis SET NX with an expiry longer than any
// redelivery can take). This file is the template's stand-in: one line per message, `<id>\t<result>`.
import { closeSync, constants, openSync, readSync, renameSync, writeSync } from 'node:fs';

const KEEP = 100_000;
const MAX_ID = 255; // an AMQP message id (shortstr) is at most 255 characters
const MAX_RESULT = 200;
const MAX_LINE = MAX_ID + 1 + MAX_RESULT;
const flat = (text: string, max: number) => text.slice(0, max).replace(/[\t\n\r]/g, ' ');

export class HandledStore {
  /** id → result, oldest first. */
  private readonly handled = new Map<string, string>();
  private fd?: number;

  /** In memory only without a file: it then forgets everything when the process ends. */
  constructor(private readonly file?: string) {
    if (!file) return;
    this.fd = open(file, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT);
    let lines = 0;
    eachLine(this.fd, (line) => {
      const tab = line.indexOf('\t');
      this.remember(tab < 0 ? line : line.slice(0, tab), tab < 0 ? '' : line.slice(tab + 1, tab + 1 + MAX_RESULT));
      lines++;
    });
    if (lines > 2 * KEEP) { // keep the file bounded too: rewritten with the newest only
      const fresh = open(`${file}.tmp`, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL);
      writeSync(fresh, [...this.handled].map(([id, result]) => `${id}\t${result}\n`).join(''));
      closeSync(fresh);
      renameSync(`${file}.tmp`, file);
      closeSync(this.fd);
      this.fd = open(file, constants.O_WRONLY | constants.O_APPEND);
    }
  }

  has(id: string): boolean {
    return this.handled.has(id);
  }

  /** Records the work's result under the message id: call it before the ack. */
  record(id: string, result: string): void {
    const cut = flat(result, MAX_RESULT);
    if (this.fd !== undefined) writeSync(this.fd, `${flat(id, MAX_ID)}\t${cut}\n`);
    this.remember(id, cut);
  }

  private remember(id: string, result: string) {
    this.handled.delete(id); // (re)inserted as the newest
    this.handled.set(id, result);
    if (this.handled.size > KEEP) this.handled.delete(this.handled.keys().next().value!); // the oldest
  }
}

/** Opens the store's file as only its owner may read it, never through a symbolic link. */
function open(path: string, flags: number): number {
  try {
    return openSync(path, flags | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new Error(`--store ${path} is a symbolic link: give the file itself`);
    throw err;
  }
}

/** Calls `each` with every line of the file, read 1 MiB at a time: a file of any size, lines of any length. */
function eachLine(fd: number, each: (line: string) => void): void {
  const chunk = Buffer.alloc(1 << 20);
  let partial = Buffer.alloc(0);
  let position = 0;
  for (let n; (n = readSync(fd, chunk, 0, chunk.length, position)) > 0; position += n) {
    let data = Buffer.concat([partial, chunk.subarray(0, n)]);
    let newline;
    while ((newline = data.indexOf(0x0a)) >= 0) {
      if (newline > 0) each(data.toString('utf8', 0, Math.min(newline, MAX_LINE)));
      data = data.subarray(newline + 1);
    }
    partial = Buffer.from(data.subarray(0, MAX_LINE)); // a longer line (an older version's) is read cut
  }
  if (partial.length > 0) each(partial.toString('utf8'));
}
