import { existsSync, readFileSync } from 'node:fs';

/** The local addresses listening on a TCP port, from /proc/net/tcp and tcp6 (Linux; elsewhere none). */
export function listeners(port: number): string[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].filter(existsSync).flatMap((file) => readFileSync(file, 'utf8').split('\n').slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[1]?.endsWith(`:${hex}`) && f[3] === '0A') // 0A: LISTEN
    .map((f) => {
      const addr = f[1]!.split(':')[0]!;
      if (addr.length === 8) return addr.match(/../g)!.reverse().map((b) => parseInt(b, 16)).join('.');
      return /^0+$/.test(addr) ? '::' : addr === '00000000000000000000000001000000' ? '::1' : addr;
    }));
}
