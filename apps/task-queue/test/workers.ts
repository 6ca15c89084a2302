import { type AppProcess, startApp } from '@rabbit-tutorials/testing';

/** Worker processes (the same program users run) and what they printed about tasks. */
export class WorkerPool {
  readonly workers: AppProcess[] = [];

  constructor(private readonly env: Record<string, string>, private readonly args: string[]) {}

  async start(count: number): Promise<void> {
    const started = Array.from({ length: count }, () => startApp('task-queue', 'worker', this.args, this.env));
    this.workers.push(...started);
    await Promise.all(started.map((w) => w.waitFor(/Waiting for messages/, 1, 60_000)));
  }

  /** Task ids ("... #17") in Done lines, per worker. */
  done(worker: AppProcess): number[] {
    return worker.matching(/^ \[x\] Done .* #\d+$/).map((line) => Number(line.slice(line.lastIndexOf('#') + 1)));
  }

  /** How many times each id was done, over all workers. */
  doneCounts(): Map<number, number> {
    const counts = new Map<number, number>();
    for (const w of this.workers) for (const id of this.done(w)) counts.set(id, (counts.get(id) ?? 0) + 1);
    return counts;
  }

  /** Received lines flagged as redeliveries, by id. */
  redelivered(): Set<number> {
    const ids = new Set<number>();
    for (const w of this.workers) {
      for (const line of w.matching(/^ \[x\] Received .* #\d+ \(redelivered\)$/)) ids.add(Number(/#(\d+)/.exec(line)![1]));
    }
    return ids;
  }

  async untilAllDone(total: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.doneCounts().size < total) {
      if (Date.now() > deadline) throw new Error(`only ${this.doneCounts().size} of ${total} tasks done after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
