/** Diagnostics go to stderr so stdout stays the program's own output (and pipeable). */
export function log(message: string): void {
  process.stderr.write(`[rabbitmq] ${message}\n`);
}
