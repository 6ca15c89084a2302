// What the environment asks for: traces (the standard OTEL_TRACES_EXPORTER, a comma-separated list of
// exporters, unless "none") and the program's /metrics (METRICS_PORT). register.mjs turns on what is
// asked for; the nx targets preload it only when something is.
const KNOWN = ['otlp', 'console', 'zipkin', 'none'];

function exporters(env) {
  return (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((name) => name.trim()).filter(Boolean);
}

function wanted(env) {
  const names = exporters(env);
  const known = names.filter((name) => KNOWN.includes(name) && name !== 'none');
  return { tracing: known.length > 0, metrics: Boolean(env.METRICS_PORT?.trim()), unknownExporters: names.filter((name) => !KNOWN.includes(name)) };
}

module.exports = wanted;
module.exports.exporters = exporters;
