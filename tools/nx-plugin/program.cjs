// nx executor: spawn the program with node + tsx, the arguments after `--` handed over as an argv
// array (no shell: quotes, *, ; and $(...) reach the program as typed), stdio shared, exit code kept.
const { spawn } = require('node:child_process');
const { join } = require('node:path');

module.exports = async function program(options, context) {
  const project = context.projectsConfigurations.projects[context.projectName];
  const file = join(context.root, project.root, options.file);
  const args = [...(options.args ?? []), ...(options.forwarded ?? [])];
  // Tracing only when the standard variable asks for it: otherwise nothing of OpenTelemetry is loaded.
  const exporter = process.env.OTEL_TRACES_EXPORTER?.trim();
  const tracing = exporter && exporter !== 'none' ? ['--import', '@rabbit-tutorials/telemetry/register'] : [];
  const child = spawn(process.execPath, [...tracing, '--import', 'tsx', file, ...args], { stdio: 'inherit', cwd: context.cwd });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward).on('SIGTERM', forward);
  const code = await new Promise((resolve) => child.once('close', (c, signal) => resolve(c ?? (signal ? 128 : 1))));
  process.off('SIGINT', forward).off('SIGTERM', forward);
  return { success: code === 0 };
};
