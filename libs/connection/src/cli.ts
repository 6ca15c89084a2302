import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** node:util parseArgs with unknown options and bad values turned into UsageError (exit 1 with usage). */
export function parseCli<T extends OptionSpec>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

/** A whole-number option within bounds, or its default when absent. */
export function intOption(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got "${value}")`);
  }
  return Number(value);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a message body as UTF-8 text; throws on invalid bytes instead of inventing U+FFFD characters. */
export function utf8(body: Buffer): string {
  try {
    return strictUtf8.decode(body);
  } catch {
    throw new Error('the body is not valid UTF-8 text');
  }
}
