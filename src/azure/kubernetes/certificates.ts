// Certificates for cluster services: a self-signed one issued for the load balancer's address or DNS name (the same
// issuer as the local services', in core), and the checks a given PEM pair must pass before it is sent.
import * as crypto from 'node:crypto';
import { AccelError } from '../../domain/errors';

/** Refuses a pair that is not PEM, does not match, or has expired; `source` names where it came from. */
export function checkPemPair(pems: { certPem: string; keyPem: string }, source: string): void {
  let cert: crypto.X509Certificate;
  let key: crypto.KeyObject;
  try {
    cert = new crypto.X509Certificate(pems.certPem);
  } catch (e) {
    throw new AccelError(
      'InvalidArgument',
      `The certificate (${source}) is not a PEM certificate (${(e as Error).message}). Give the certificate (full chain) in PEM format.`,
    );
  }
  try {
    key = crypto.createPrivateKey(pems.keyPem);
  } catch (e) {
    throw new AccelError(
      'InvalidArgument',
      `The key (${source}) is not an unencrypted PEM private key (${(e as Error).message}). Give the key in PEM format without a passphrase.`,
    );
  }
  if (!cert.checkPrivateKey(key))
    throw new AccelError(
      'InvalidArgument',
      `The key (${source}) does not belong to the certificate. Give the key the certificate was issued for.`,
    );
  if (new Date(cert.validTo).getTime() < Date.now())
    throw new AccelError(
      'InvalidArgument',
      `The certificate (${source}) expired on ${cert.validTo}. Renew it, or use --self-signed.`,
    );
}

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i;

export function validateServerName(name: string): void {
  if (!DNS_NAME.test(name))
    throw new AccelError(
      'InvalidArgument',
      `--tls-server-name ${name} is not a DNS name. Give e.g. --tls-server-name models.example.com (letters, digits, '-' and dots).`,
    );
}
