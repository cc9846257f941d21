// The scoring address of a service on this machine (the emulator's or a container's published port): with TLS the
// client names localhost, the name the self-signed certificate is issued for, and trusts the service's certificate.
import { readTls, scoringUri } from '../core/services';
import type { WorkspaceStore } from '../domain/ports';
import type { Service } from '../domain/types';
import type { ServiceAddress } from './serviceTargets';

export function localAddress(store: WorkspaceStore, workspace: string, service: Service): ServiceAddress {
  const tls = readTls(store, workspace, service);
  return {
    uri: scoringUri(service),
    host: tls ? 'localhost' : '127.0.0.1',
    port: service.port,
    useSsl: !!tls,
    caPem: tls?.certPem,
  };
}
