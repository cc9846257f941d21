// Self-signed certificates for services reached by a name other than localhost: a Kubernetes service's DNS name
// (`<label>.<region>.cloudapp.azure.com`) or the TLS server name its clients verify. Local and container services
// use core's localhost certificate.
import * as crypto from 'node:crypto';
import { generate as generateCertificate } from 'selfsigned';
import { AccelError } from '../domain/errors';

const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i;

export function checkServerName(name: string, flag = '--tls-server-name'): void {
  if (!DNS_NAME.test(name))
    throw new AccelError(
      'InvalidArgument',
      `${flag} ${name} is not a DNS name. Give e.g. ${flag} models.example.com (letters, digits, '-' and dots).`,
    );
}

/** A 2048-bit RSA certificate for `names` (DNS names or IP addresses), valid 825 days. */
export async function selfSignedFor(names: string[]): Promise<{ certPem: string; keyPem: string }> {
  if (!names.length) throw new AccelError('Internal', 'A certificate needs at least one name.');
  const altNames = names.map((n) => (net(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n }));
  const pems = await generateCertificate([{ name: 'commonName', value: names[0] }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 825 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { certPem: pems.cert, keyPem: pems.private };
}

function net(name: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(name) || name.includes(':');
}

/** The names a PEM certificate is issued for (subject alternative names). */
export function certificateNames(certPem: string): string[] {
  const san = new crypto.X509Certificate(certPem).subjectAltName ?? '';
  return san
    .split(',')
    .map((s) => s.trim().replace(/^(DNS|IP Address):/, ''))
    .filter(Boolean);
}
