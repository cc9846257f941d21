// Request authorization for one service: `authorization: Bearer <key>` (scheme case-insensitive; a bare key, as
// the 2018 preview clients sent it, is accepted too), checked against sha256 hashes of the primary and secondary
// keys in constant time; and the optional AML route header, which must name this service.
import { createHash, timingSafeEqual } from 'node:crypto';
import { ROUTE_HEADER } from '../../wire/headers';
import type { EndpointAuth } from './serviceEndpoint';

export { ROUTE_HEADER };

export interface AuthFailure {
  kind: 'unauthenticated' | 'wrongService';
  message: string;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function keyFrom(header: string): string {
  const m = /^\s*bearer\s+(.*)$/i.exec(header);
  return (m ? m[1] : header).trim();
}

/** True when sha256(key) equals one of the hashes; every hash is compared, each in constant time. */
export function keyMatches(key: string, keyHashes: readonly string[]): boolean {
  const digest = createHash('sha256').update(key, 'utf8').digest();
  let ok = false;
  for (const hex of keyHashes) {
    const expected = Buffer.from(hex, 'hex');
    if (expected.length === digest.length && timingSafeEqual(expected, digest)) ok = true;
  }
  return ok;
}

/** `header(name)` returns the first value of a request header/metadata key (lower-case names), if any. */
export function authorize(
  header: (name: string) => string | undefined,
  auth: EndpointAuth,
  serviceName: string,
): AuthFailure | undefined {
  const route = header(ROUTE_HEADER);
  if (route !== undefined && route !== `/api/v1/service/${serviceName}` && route !== serviceName) {
    return {
      kind: 'wrongService',
      message: `The ${ROUTE_HEADER} metadata names "${route}", but this port serves service "${serviceName}". Send "/api/v1/service/${serviceName}" or omit the header.`,
    };
  }
  if (!auth.enabled) return undefined;
  const value = header('authorization');
  if (value === undefined || keyFrom(value) === '') {
    return {
      kind: 'unauthenticated',
      message: `Service "${serviceName}" requires a key. Send metadata "authorization: Bearer <key>" with its primary or secondary key (accel service keys ${serviceName}).`,
    };
  }
  if (!keyMatches(keyFrom(value), auth.keyHashes)) {
    return {
      kind: 'unauthenticated',
      message: `The key sent for service "${serviceName}" is not valid. Use its current primary or secondary key (accel service keys ${serviceName}); a regenerated key replaces the old one at once.`,
    };
  }
  return undefined;
}
