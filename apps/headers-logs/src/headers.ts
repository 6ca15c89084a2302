import { UsageError } from '@rabbit-tutorials/connection';

/** Splits command-line words into key=value headers and the remaining message words. */
export function headerArgs(args: string[]): { headers: Record<string, string>; words: string[] } {
  const headers: Record<string, string> = {};
  const words: string[] = [];
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq < 0) {
      words.push(arg);
      continue;
    }
    const key = arg.slice(0, eq);
    if (!key) throw new UsageError(`"${arg}" has no header name before "="`);
    // x-* headers are the exchange's own (x-match) and are ignored in matching.
    if (key.startsWith('x-')) throw new UsageError(`header "${key}": names starting with x- are reserved`);
    headers[key] = arg.slice(eq + 1);
  }
  return { headers, words };
}
