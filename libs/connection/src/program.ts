// The program around the pattern: one-line errors and exit codes, --help, and graceful shutdown.
import type { EventEmitter } from 'node:events';
import type { Channel, Message } from 'amqplib';
import { intVar } from './config.js';
import { UsageError, describeError } from './errors.js';

// Who speaks in a diagnostic line: this program (apps/hello/src/receive.ts: hello:receive), not the broker.
const [, folder, file] = /(?:([^/\\]+)[/\\]src[/\\])?([^/\\]+?)(?:\.[cm]?[jt]s)?$/.exec(process.argv[1] ?? '') ?? [];
const SPEAKER = !file ? 'program' : !folder || folder === file ? file : `${folder}:${file}`;

/** Diagnostics go to stderr, so stdout stays the program's own output (and pipeable). */
export function log(message: string): void {
  process.stderr.write(`[${SPEAKER}] ${message}\n`);
}

/**
 * Runs a program: --help prints `usage` (its first line the synopsis, then what the program does) and
 * where the connection settings come from; any failure becomes one line on stderr (no stack trace, no
 * secret) and exit code 1; bad arguments add the synopsis and exit 2. `body` may return an exit code.
 */
export function main(usage: string, body: () => Promise<number | void>): void {
  const own = process.argv.slice(2, process.argv.includes('--') ? process.argv.indexOf('--') : undefined);
  if (own.includes('--help') || own.includes('-h')) {
    return console.log(`usage: ${usage}\nConnection: RABBITMQ_URL, or RABBITMQ_HOST, RABBITMQ_PORT, RABBITMQ_USER, RABBITMQ_PASSWORD, ` +
      'RABBITMQ_VHOST (default: amqp://guest:guest@localhost:5672/), from the environment or a .env file in the working directory; all settings: docs/configuration.md');
  }
  const synopsis = usage.split('\n')[0]!;
  // .env in the working directory, as nx reads it for its targets: a variable already set wins over the file.
  try {
    process.loadEnvFile();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      process.stderr.write(`error: cannot read .env: ${(err as Error).message}\n`);
      return void (process.exitCode = 2);
    }
  }
  // A library that throws from its own callbacks: still one line, not a stack trace.
  process.once('uncaughtException', (err) => {
    process.stderr.write(`error: ${describeError(err)}\n${process.env.DEBUG ? `${err.stack}\n` : ''}`);
    process.exit(1);
  });
  body().then((code) => {
    if (stoppedEarly?.reason) log(`connection error: ${stoppedEarly.reason}`); // came after the work was done
    process.exitCode ??= code ?? 0;
  }, (err: unknown) => {
    // node:util parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for unknown options and the like.
    const badArgs = err instanceof UsageError || String((err as { code?: unknown })?.code).startsWith('ERR_PARSE_ARGS');
    // After stop(reason) (e.g. publishing blocked too long), the failure that follows is that reason.
    // One line: parseArgs' messages may go on with advice on further lines.
    const reason = badArgs ? (err as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/s, '') : stoppedEarly?.reason ?? describeError(err);
    process.stderr.write(`error: ${reason}\n`);
    if (badArgs) process.stderr.write(`usage: ${synopsis}\n`);
    if (process.env.DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = badArgs ? 2 : 1;
    // A client still open (the failure came between its connect and its close) would keep the process
    // alive with nothing to do: a second for what is closing, then out.
    setTimeout(() => process.exit(), 1000).unref();
  });
}

/**
 * Untrusted text (a message body, a header, a queue name) made safe to print on one line: control
 * characters escaped (no forged log lines, no terminal escape codes), bidirectional controls too (no
 * line that reads as something else), and cut at `max` characters with the length.
 */
export function printable(text: string, max = 200): string {
  const escaped = (text.length > max ? text.slice(0, max) : text).replace(/[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\\]/g, (c) =>
    ({ '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' })[c] ?? (c > '\xff' ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  return text.length > max ? `${escaped}... (${text.length} characters)` : escaped;
}

/**
 * Sends a copy of a received message to `queue` (a dead letter, a parked message, one sent back), persistent,
 * with `headers` over its own. Left out: userId (the broker refuses a copy that names another publisher),
 * expiration (the copy would vanish), and, if amqplib cannot encode them again (a 64-bit timestamp it
 * decoded), every property and header of the original: then the copy carries the body, `headers` and why.
 */
export function sendCopy(channel: Channel, queue: string, message: Message, headers: Record<string, unknown>): void {
  const { userId: _userId, expiration: _expiration, ...properties } = message.properties;
  try {
    channel.sendToQueue(queue, message.content, { ...properties, headers: { ...properties.headers, ...headers }, persistent: true });
  } catch (err) {
    const why = `its properties could not be copied: ${(err as Error).message}`;
    channel.sendToQueue(queue, message.content, { headers: { ...headers, 'x-uncopied-properties': why }, persistent: true });
  }
}

/** The message: the words given, or standard input when the only word is "-" (bodies over the command-line limit). */
export async function messageText(words: string[], fallback: string): Promise<string> {
  if (words.length !== 1 || words[0] !== '-') return words.join(' ') || fallback;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A whole-number option within bounds, or its default when absent. */
export function intOption(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  try {
    return intVar(`--${name}`, value, fallback, min, max);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

let stopRequested: ((reason?: string) => void) | undefined;
let stoppedEarly: { reason?: string; lost?: boolean } | undefined;

/**
 * From now on the first SIGINT or SIGTERM ends the program through its shutdown (see untilShutdown),
 * even if it comes before untilShutdown() is reached: connect() calls this once connected. During the
 * shutdown a second Ctrl+C (SIGINT) exits at once; a SIGTERM does not: supervisors (nx, Docker) send
 * it after the terminal's SIGINT reached the whole process group, and escalate to SIGKILL themselves.
 */
export function shutdownOnSignal(): void {
  if (catchingSignals) return;
  catchingSignals = true;
  const onSignal = (signal: NodeJS.Signals) => {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    process.once('SIGINT', () => process.exit(130)).on('SIGTERM', () => undefined);
    log(`${signal}: shutting down`);
    // Not yet waiting in untilShutdown() (still setting up, maybe retrying for ever): end anyway, soon.
    if (!stopRequested) setTimeout(() => process.exit(signal === 'SIGINT' ? 130 : 143), 10_000).unref();
    stop();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
}
let catchingSignals = false;

/**
 * Resolves when the program should stop: on a signal (shutdownOnSignal), on stop(), or when
 * `connection` has failed for good (exit code 1, reason on stderr).
 */
export function untilShutdown(connection?: EventEmitter): Promise<void> {
  shutdownOnSignal();
  return new Promise((resolve) => {
    stopRequested = (reason) => {
      if (reason !== undefined) {
        process.stderr.write(`error: ${reason}\n`);
        process.exitCode = 1;
      }
      resolve();
    };
    connection?.once('failed', (err: Error) => stop(err.message));
    if (stoppedEarly) {
      const { reason } = stoppedEarly; // said here, once
      stoppedEarly = undefined;
      stop(reason);
    }
  });
}

/** Ends the program through the same shutdown as a signal: its work done, or with one error line (exit code 1). */
export function stop(reason?: string, how: { lost?: boolean } = {}): void {
  if (!stopRequested) stoppedEarly ??= { reason, lost: how.lost };
  stopRequested?.(reason);
  stopRequested = undefined;
}

/** A program that reconnected by itself (connect() again) is past the loss of its earlier connection. */
export function connectedAgain(): void {
  if (stoppedEarly?.lost) stoppedEarly = undefined;
}
