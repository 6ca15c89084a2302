import { UsageError } from '@rabbit-tutorials/connection';

/**
 * Adds one name=value header to `headers`, checked the way the broker would refuse it: a name is
 * an AMQP short string (at most 255 bytes), x-* names belong to the exchange (x-match), and a name
 * given twice is a mistake, not a choice between values. `headers` has no prototype (Object.create(null)),
 * so names such as __proto__ and constructor are ordinary header names.
 */
export function addHeader(headers: Record<string, string>, arg: string): Record<string, string> {
  const eq = arg.indexOf('=');
  if (eq < 0) throw new UsageError(`"${arg.slice(0, 40)}" is not a header=value`);
  const name = arg.slice(0, eq);
  if (!name) throw new UsageError(`"${arg.slice(0, 40)}" has no header name before "="`);
  if (Buffer.byteLength(name) > 255) throw new UsageError(`a header name is at most 255 bytes (got ${Buffer.byteLength(name)})`);
  if (name.startsWith('x-')) throw new UsageError(`header "${name}": names starting with x- are reserved`);
  if (Object.hasOwn(headers, name)) throw new UsageError(`header "${name}" is given twice`);
  headers[name] = arg.slice(eq + 1);
  return headers;
}
