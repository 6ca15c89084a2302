import { UsageError } from '@rabbit-tutorials/connection';

/** The largest n served: fib(10000) has 2090 digits and takes well under a millisecond. */
export const MAX_N = 10_000;

/** fib(n), iteratively with BigInt: exact for any n and linear, unlike the tutorial's recursion. */
export function fib(n: number): bigint {
  let [a, b] = [0n, 1n];
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

/** Reads a request body as in the tutorial (the decimal n); throws a message fit for an error reply. */
export function parseN(body: string): number {
  const text = body.trim();
  if (!/^\d+$/.test(text)) throw new Error(`n must be a whole number from 0 to ${MAX_N} (got "${text.slice(0, 40)}")`);
  const n = Number(text);
  if (n > MAX_N) throw new Error(`n must be from 0 to ${MAX_N} (got ${text.length > 20 ? `${text.slice(0, 20)}...` : text})`);
  return n;
}

/** n given on the command line, checked before connecting as the server checks it (usage error, exit 2). */
export function checkedN(text: string): number {
  try {
    return parseN(text);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A queue name the broker can take: an AMQP short string, at most 255 bytes. */
export function checkedQueue(name: string): string {
  const bytes = Buffer.byteLength(name);
  if (bytes > 255) throw new UsageError(`--queue is at most 255 bytes (got ${bytes})`);
  return name;
}
