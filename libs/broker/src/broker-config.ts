// The configuration a test broker gets. A container reads it after the official image's own
// conf.d/10-defaults.conf (console logging on, guest allowed from other hosts), so it sets only what
// the tests need and leaves the image's defaults alone.

/** Where a broker listens and finds its certificates: what differs between a container and a local node. */
export interface Listeners {
  amqpPort: number;
  amqpsPort: number;
  managementPort: number;
  /** The management API over https, with the same certificate as AMQPS. */
  managementTlsPort: number;
  /** The stream protocol, plain and TLS. */
  streamPort: number;
  streamTlsPort: number;
  /** rabbitmq_prometheus: the broker's metrics on /metrics (Prometheus text format). */
  prometheusPort: number;
  /**
   * Where stream clients are told to connect (they open their publisher and consumer connections to
   * the address the broker advertises): the host and ports as seen from the clients.
   */
  advertised: { host: string; streamPort: number; streamTlsPort: number };
  certDir: string;
  /** Listen on 127.0.0.1 only (a local node); a container listens on all its interfaces. */
  loopbackOnly: boolean;
}

export function listenersConf(o: Listeners): string {
  const ip = o.loopbackOnly ? '127.0.0.1:' : '';
  return [
    `listeners.tcp.1 = ${ip}${o.amqpPort}`,
    `listeners.ssl.1 = ${ip}${o.amqpsPort}`,
    `ssl_options.cacertfile = ${o.certDir}/ca.pem`,
    `ssl_options.certfile = ${o.certDir}/server.pem`,
    `ssl_options.keyfile = ${o.certDir}/server.key`,
    `management.tcp.port = ${o.managementPort}`,
    `management.ssl.port = ${o.managementTlsPort}`,
    `management.ssl.cacertfile = ${o.certDir}/ca.pem`,
    `management.ssl.certfile = ${o.certDir}/server.pem`,
    `management.ssl.keyfile = ${o.certDir}/server.key`,
    `prometheus.tcp.port = ${o.prometheusPort}`,
    // The plugin listens on every interface unless told otherwise.
    ...(o.loopbackOnly ? ['management.tcp.ip = 127.0.0.1', 'management.ssl.ip = 127.0.0.1', 'prometheus.tcp.ip = 127.0.0.1'] : []),
    `stream.listeners.tcp.1 = ${ip}${o.streamPort}`,
    `stream.listeners.ssl.1 = ${ip}${o.streamTlsPort}`,
    `stream.advertised_host = ${o.advertised.host}`,
    `stream.advertised_port = ${o.advertised.streamPort}`,
    `stream.advertised_tls_host = ${o.advertised.host}`,
    `stream.advertised_tls_port = ${o.advertised.streamTlsPort}`,
    '',
  ].join('\n');
}

/** rabbitmq.conf for a test broker: plain + TLS listeners, management, small disk limit. */
export function rabbitmqConf(o: Listeners & {
  /** Mutual TLS: refuse TLS clients that present no certificate. */
  failIfNoPeerCert?: boolean;
}): string {
  return listenersConf(o) + [
    // Client certificates are checked when presented; required only when failIfNoPeerCert.
    'ssl_options.verify = verify_peer',
    `ssl_options.fail_if_no_peer_cert = ${o.failIfNoPeerCert ? 'true' : 'false'}`,
    'disk_free_limit.absolute = 50MB',
    '',
  ].join('\n');
}

/** Management, Prometheus metrics and streams (the stream protocol, and streams in the management UI). */
export const ENABLED_PLUGINS = '[rabbitmq_management,rabbitmq_prometheus,rabbitmq_stream,rabbitmq_stream_management].\n';
