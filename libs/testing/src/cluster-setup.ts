import type { TestProject } from 'vitest/node';
import { dockerAvailable, hasLocalRabbitmq, resolveCluster, startStreamCoordinator } from '@rabbit-tutorials/broker';

/** The cluster project's three-node cluster (containers with Docker, else local nodes): started once here, stopped at the end. */
export default async function setup(project: TestProject) {
  if (!hasLocalRabbitmq() && !(await dockerAvailable())) {
    project.provide('cluster', { skip: 'no Docker engine and no rabbitmq-server: the cluster tests run three containers or three local nodes' });
    return;
  }
  const started = Date.now();
  const { info, stop } = await resolveCluster({ size: 3 });
  // Before any test kills a node (see startStreamCoordinator).
  await startStreamCoordinator(info).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  console.log(`[cluster] tests use ${info.description}, formed in ${Date.now() - started} ms`);
  project.provide('cluster', { cluster: info });
  return stop;
}
