// The message ids this worker has handled, with each one's result, so that a message delivered again
// (its worker died between the work and the ack) is not worked on twice. The id and the result are
// written in one append: the work's effect and its record cannot part. Bounded: the newest 100,000.
//
// In production this is where the work itself writes: a table with a unique key on the message id,
// filled in the same transaction as the work (or Redis SET NX with an expiry longer than any
// redelivery can take). This file is the template's stand-in: one line per message, `<id>\t<result>`.
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const KEEP = 100_000;

export class HandledStore {
  private readonly ids = new Set<string>();

  /** In memory only without a file: it then forgets everything when the process ends. */
  constructor(private readonly file?: string) {
    if (!file || !existsSync(file)) return;
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    for (const line of lines.slice(-KEEP)) this.remember(line.split('\t', 1)[0]!);
    if (lines.length > 2 * KEEP) { // keep the file bounded too: rewritten with the newest only
      writeFileSync(`${file}.tmp`, `${lines.slice(-KEEP).join('\n')}\n`);
      renameSync(`${file}.tmp`, file);
    }
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Records the work's result under the message id: call it before the ack. */
  record(id: string, result: string): void {
    if (this.file) appendFileSync(this.file, `${id}\t${result.replace(/[\t\n\r]/g, ' ')}\n`);
    this.remember(id);
  }

  private remember(id: string) {
    this.ids.add(id);
    if (this.ids.size > KEEP) this.ids.delete(this.ids.values().next().value!); // the oldest
  }
}
