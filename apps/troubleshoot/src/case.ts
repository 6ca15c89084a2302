// What every troubleshooting case prints: the failure as our one line, then the fix working.
import { type RabbitConfig, describeError } from '@rabbit-tutorials/connection';

/**
 * Expects `attempt` to fail, and prints the failure as the one line our programs show for it; `what` names
 * the mistake when a case shows more than one.
 */
export async function reproduce(attempt: Promise<unknown>, config?: RabbitConfig, what?: string): Promise<string> {
  const line = await attempt.then(() => {
    throw new Error('the failure did not happen: this broker behaves differently');
  }, (err: unknown) => describeError(err, config));
  console.log(` [!] ${what ? `${what}: ` : ''}${line}`);
  return line;
}

export function fixed(how: string): void {
  console.log(` [✓] fixed: ${how}`);
}

/** A name of this run's own, so cases never meet each other's queues. */
export const unique = (what: string) => `troubleshoot-${what}-${process.pid}`;
