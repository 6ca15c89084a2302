import type { TestProject } from 'vitest/node';
import { resolveBroker } from '@rabbit-tutorials/broker';

/** One broker for the whole run: found or started here, stopped at the end. */
export default async function setup(project: TestProject) {
  const started = await resolveBroker();
  console.log(`[broker] tests use ${started.info.description}`);
  project.provide('broker', started.info);
  return async () => {
    await started.stop();
  };
}
