// A warm channel per service: the editor scores many photos against the same service, and each new channel costs a
// TCP (and TLS) handshake and an HTTP/2 set-up. Scorers are kept open per workspace/service and replaced only when
// what they connect with changes (port, TLS certificate, auth, image, target); closing the cache closes them all.
import type { WorkspaceStore } from '../domain/ports';
import type { Service } from '../domain/types';
import { ServiceScorer, type ScoringPorts } from './serviceScorer';

const fingerprint = (s: Service) =>
  JSON.stringify([s.target, s.port, s.tls?.certBlob, s.authEnabled, s.imageId, s.kubernetes?.tlsServerName]);

export class ScorerCache {
  private readonly open = new Map<string, { fingerprint: string; scorer: Promise<ServiceScorer> }>();

  constructor(
    private readonly store: WorkspaceStore,
    private readonly ports: (workspace: string, service: Service) => ScoringPorts,
  ) {}

  /** The open scorer of `service`, or a new one; a scorer whose service changed since is closed and replaced. */
  get(workspace: string, service: Service): Promise<ServiceScorer> {
    const key = `${workspace}/${service.name}`;
    const print = fingerprint(service);
    const hit = this.open.get(key);
    if (hit?.fingerprint === print) return hit.scorer;
    if (hit)
      void hit.scorer.then(
        (s) => s.close(),
        () => undefined,
      );
    const scorer = ServiceScorer.open(this.store, workspace, service, this.ports(workspace, service));
    this.open.set(key, { fingerprint: print, scorer });
    scorer.catch(() => this.open.get(key)?.scorer === scorer && this.open.delete(key));
    return scorer;
  }

  /** Closes the scorers of services that are gone from `live` (workspace/name keys), e.g. after a delete. */
  retain(live: Set<string>): void {
    for (const [key, { scorer }] of this.open) {
      if (live.has(key)) continue;
      this.open.delete(key);
      void scorer.then(
        (s) => s.close(),
        () => undefined,
      );
    }
  }

  dispose(): void {
    this.retain(new Set());
  }
}
