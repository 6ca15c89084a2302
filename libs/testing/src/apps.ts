import { afterEach } from 'vitest';
import { AppProcess, spawnApp } from '@rabbit-tutorials/broker';

export { AppProcess, ROOT } from '@rabbit-tutorials/broker';

const running = new Set<AppProcess>();
afterEach(async () => {
  for (const app of running) app.kill('SIGKILL');
  await Promise.all([...running].map((app) => app.exited));
  running.clear();
});

/**
 * Starts `apps/<app>/src/<role>.ts` as its own Node process (one process, so a signal reaches the
 * program itself), with the given environment on top of a clean one. Killed after each test.
 */
export function startApp(app: string, role: string, args: string[] = [], env: Record<string, string> = {}): AppProcess {
  return track(spawnApp(app, role, args, env));
}

/** Kills the process after the current test if it is still running. */
export function track(app: AppProcess): AppProcess {
  running.add(app);
  void app.exited.then(() => running.delete(app));
  return app;
}

/** Runs a program to its end and returns exit code and output. */
export async function runApp(app: string, role: string, args: string[] = [], env: Record<string, string> = {}) {
  const started = startApp(app, role, args, env);
  const { code, signal } = await started.exited;
  return { code, signal, stdout: started.stdout.join('\n'), stderr: started.stderr.join('\n') };
}
