/** rabbitmq.conf for a test broker: plain + TLS listeners, management, small disk limit. */
export function rabbitmqConf(o: {
  amqpPort: number;
  amqpsPort: number;
  managementPort: number;
  certDir: string;
  /** Listen on 127.0.0.1 only (a local node); a container listens on all its interfaces. */
  loopbackOnly: boolean;
  /** Mutual TLS: refuse TLS clients that present no certificate. */
  failIfNoPeerCert?: boolean;
}): string {
  const ip = o.loopbackOnly ? '127.0.0.1:' : '';
  return [
    `listeners.tcp.1 = ${ip}${o.amqpPort}`,
    `listeners.ssl.1 = ${ip}${o.amqpsPort}`,
    `ssl_options.cacertfile = ${o.certDir}/ca.pem`,
    `ssl_options.certfile = ${o.certDir}/server.pem`,
    `ssl_options.keyfile = ${o.certDir}/server.key`,
    // Client certificates are checked when presented; required only when failIfNoPeerCert.
    'ssl_options.verify = verify_peer',
    `ssl_options.fail_if_no_peer_cert = ${o.failIfNoPeerCert ? 'true' : 'false'}`,
    `management.tcp.port = ${o.managementPort}`,
    ...(o.loopbackOnly ? ['management.tcp.ip = 127.0.0.1'] : []),
    'disk_free_limit.absolute = 50MB',
    'log.console = false',
    'log.file.level = info',
    '',
  ].join('\n');
}

export const ENABLED_PLUGINS = '[rabbitmq_management].\n';
