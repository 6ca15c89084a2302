// nx executor: spawn the program with node + tsx, the arguments after `--` handed over as an argv
// array (no shell: quotes, *, ; and $(...) reach the program as typed), stdio shared, exit code kept.
const { spawn } = require('node:child_process');
const { join } = require('node:path');
const wanted = require('@rabbit-tutorials/telemetry/wanted');

module.exports = async function program(options, context) {
  const project = context.projectsConfigurations.projects[context.projectName];
  const file = join(context.root, project.root, options.file);
  const args = [...(options.args ?? []), ...(options.forwarded ?? [])];
  // Tracing or metrics only when asked for (the standard OTEL_TRACES_EXPORTER, or METRICS_PORT):
  // otherwise nothing of OpenTelemetry or prom-client is loaded. A misspelt exporter loads the
  // preload too, which says so.
  const { tracing, metrics, unknownExporters } = wanted(process.env);
  const telemetry = tracing || metrics || unknownExporters.length > 0 ? ['--import', '@rabbit-tutorials/telemetry/register'] : [];
  const child = spawn(process.execPath, [...telemetry, '--import', 'tsx', file, ...args], { stdio: 'inherit', cwd: context.cwd });
  // No forwarding: Ctrl+C reaches the program from the terminal (same process group), and nx stops a
  // task with SIGTERM to each process of its tree. Forwarded, one stop would arrive twice and force
  // quit. This process only stays alive until the program has shut down.
  const wait = () => undefined;
  process.on('SIGINT', wait).on('SIGTERM', wait);
  const code = await new Promise((resolve) => child.once('close', (c, signal) => resolve(c ?? (signal ? 128 : 1))));
  process.off('SIGINT', wait).off('SIGTERM', wait);
  return { success: code === 0 };
};
