// The worker's graceful shutdown: the tasks in progress are finished and acked, for at most
// RABBITMQ_SHUTDOWN_TIMEOUT_MS (default 30 s). Those still running then are left unacked: the broker
// delivers them again, to this worker when it is back or to another one.
import { log } from '@rabbit-tutorials/connection';

export async function finishWork(inProgress: Set<Promise<unknown>>, timeoutMs: number): Promise<void> {
  if (inProgress.size === 0) return;
  log(`waiting up to ${timeoutMs} ms for ${inProgress.size} message(s) in progress`);
  const timer = new Promise<boolean>((resolve) => setTimeout(resolve, timeoutMs, true).unref());
  if (await Promise.race([Promise.allSettled(inProgress).then(() => false), timer])) {
    log(`${inProgress.size} message(s) still in progress; the broker will redeliver them`);
    // The abandoned work must not keep the process alive once the caller has closed the connection.
    setTimeout(() => process.exit(), 1000).unref();
  }
}
