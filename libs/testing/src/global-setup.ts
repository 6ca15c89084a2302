import type { TestProject } from 'vitest/node';
import { loadConfig } from '@rabbit-tutorials/connection';
import { Management, checkSameBroker, managementFromEnv } from '@rabbit-tutorials/management';
import { resolveBroker } from '@rabbit-tutorials/broker';

/** One broker for the whole run: found or started here, stopped at the end. */
export default async function setup(project: TestProject) {
  const started = await resolveBroker();
  if (started.info.source === 'env') {
    // The tests inspect the broker through its management API (RABBITMQ_MANAGEMENT_URL, default
    // host:15672): it must be the broker RABBITMQ_URL reaches, not another node on the same machine.
    await checkSameBroker(new Management(managementFromEnv(process.env)), loadConfig(process.env));
  }
  console.log(`[broker] tests use ${started.info.description}`);
  project.provide('broker', started.info);
  return async () => {
    await started.stop();
  };
}
