import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

/** Certificate files for a test broker and its clients (PEM paths). */
export interface CertFiles {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA the broker does not trust, and a client certificate it signed: for rejection tests. */
  otherCa: string;
  otherClientCert: string;
  otherClientKey: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('openssl is not on PATH: the test broker needs it for its TLS certificates (apt-get install openssl; on Windows, Git for Windows ships one)');
    }
    throw new Error(`openssl ${args[0]} failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`);
  }
}

/** The subjectAltName entries of a server certificate for these host names and addresses. */
export function subjectAltNames(hosts: string[]): string {
  const names = [...new Set(['localhost', '127.0.0.1', ...hosts])];
  return names.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
}

/**
 * Makes a CA, a server certificate for localhost, 127.0.0.1 and `hosts` (e.g. a remote Docker host),
 * a client certificate, and an unrelated CA.
 */
export function generateCerts(dir: string, hosts: string[] = []): CertFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 }); // the keys are nobody else's to read
  const ca = (name: string, cn: string) =>
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${cn}`,
      '-keyout', `${name}.key`, '-out', `${name}.pem`], dir);
  const leaf = (name: string, cn: string, signer: string, ext: string) => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${signer}.pem`, '-CAkey', `${signer}.key`, '-CAcreateserial',
      '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`], dir);
  };
  ca('ca', 'rabbit-tutorials test CA');
  ca('other-ca', 'an untrusted CA');
  leaf('server', 'localhost', 'ca', `subjectAltName=${subjectAltNames(hosts)}\nextendedKeyUsage=serverAuth\n`);
  leaf('client', 'rabbit-tutorials-client', 'ca', 'extendedKeyUsage=clientAuth\n');
  leaf('other-client', 'rabbit-tutorials-client', 'other-ca', 'extendedKeyUsage=clientAuth\n');
  const at = (file: string) => join(dir, file);
  return {
    dir, ca: at('ca.pem'), serverCert: at('server.pem'), serverKey: at('server.key'),
    clientCert: at('client.pem'), clientKey: at('client.key'),
    otherCa: at('other-ca.pem'), otherClientCert: at('other-client.pem'), otherClientKey: at('other-client.key'),
  };
}
