// What the environment asks for: traces (the standard OTEL_TRACES_EXPORTER, unless "none") and the
// program's /metrics (METRICS_PORT). register.mjs turns on what is asked for; the nx targets preload it
// only when something is.
module.exports = function wanted(env) {
  const exporter = env.OTEL_TRACES_EXPORTER?.trim();
  return { tracing: Boolean(exporter) && exporter !== 'none', metrics: Boolean(env.METRICS_PORT?.trim()) };
};
