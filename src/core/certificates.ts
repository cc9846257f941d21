// Self-signed server certificates: the local services' (localhost) and the cluster services' (the load balancer's
// address or DNS name) are issued the same way.
import * as net from 'node:net';
import { generate as generateCertificate } from 'selfsigned';
import { AccelError } from '../domain/errors';

/** A 2048-bit RSA certificate for `names` (DNS names or IP addresses, the first is the subject), valid 825 days. */
export async function issueSelfSigned(names: string[]): Promise<{ certPem: string; keyPem: string }> {
  const unique = [...new Set(names.filter(Boolean))];
  if (!unique.length) throw new AccelError('Internal', 'A certificate needs at least one name.');
  const altNames = unique.map((n) => (net.isIP(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n }));
  const pems = await generateCertificate([{ name: 'commonName', value: unique[0] }], {
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
