import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Is a process with this pid running (and ours to signal)? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A running program of one of the apps, with its output collected line by line. */
export class AppProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: { pattern: RegExp; count: number; resolve: () => void }[] = [];
  /** When each line came (Date.now()), in the order of the lines of both streams. */
  private arrivals: { at: number; line: string }[] = [];

  constructor(readonly child: ChildProcess, readonly label: string) {
    const collect = (stream: NodeJS.ReadableStream | null, lines: string[]) => {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop()!;
        lines.push(...parts);
        const at = Date.now();
        for (const line of parts) this.arrivals.push({ at, line });
        this.check();
      });
    };
    collect(child.stdout, this.stdout);
    collect(child.stderr, this.stderr);
    this.exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  }

  /** When the first output line (stdout or stderr) matching a pattern came, as Date.now(); undefined if none has. */
  arrivedAt(pattern: RegExp): number | undefined {
    return this.arrivals.find(({ line }) => pattern.test(line))?.at;
  }

  /** Lines of stdout matching a pattern. */
  matching(pattern: RegExp): string[] {
    return this.stdout.filter((line) => pattern.test(line));
  }

  private check() {
    this.waiters = this.waiters.filter((w) => {
      if ([...this.stdout, ...this.stderr].filter((l) => w.pattern.test(l)).length < w.count) return true;
      w.resolve();
      return false;
    });
  }

  /** Waits until `count` output lines (stdout or stderr) match; fails with the output so far on timeout. */
  async waitFor(pattern: RegExp, count = 1, timeoutMs = 20_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const seen = new Promise<void>((resolve) => {
      this.waiters.push({ pattern, count, resolve });
      this.check();
    });
    const failed = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(
        `${this.label}: waited ${timeoutMs} ms for ${count} line(s) matching ${pattern}\nstdout:\n${this.stdout.join('\n')}\nstderr:\n${this.stderr.join('\n')}`)), timeoutMs);
    });
    const ended = this.exited.then(async ({ code, signal }) => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      throw new Error(`${this.label} exited (${signal ?? code}) before printing ${pattern}\nstdout:\n${this.stdout.join('\n')}\nstderr:\n${this.stderr.join('\n')}`);
    });
    try {
      await Promise.race([seen, failed, ended]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** Sends a signal and returns the exit status. */
  async stop(signal: NodeJS.Signals = 'SIGTERM') {
    this.kill(signal);
    return this.exited;
  }
}

/**
 * Spawns `apps/<app>/src/<role>.ts` (or its load tool's `load/<role>.ts`, or a tool's `tools/<app>/src/<role>.ts`) as its own Node
 * process, as a user runs it (one process: signals reach the program itself).
 */
export function spawnApp(app: string, role: string, args: string[] = [], env: Record<string, string> = {}): AppProcess {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('RABBITMQ_')));
  const dir = existsSync(join(ROOT, 'apps', app)) ? join(ROOT, 'apps', app) : join(ROOT, 'tools', app);
  // A role (src/), or a load tool of the app (load/).
  const file = [join(dir, 'src', `${role}.ts`), join(dir, 'load', `${role}.ts`)].find((f) => existsSync(f)) ?? join(dir, 'src', `${role}.ts`);
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: dir, // not the repository's root: a .env there (a developer's broker) is not the test's
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new AppProcess(child, `${app}:${role}`);
}
