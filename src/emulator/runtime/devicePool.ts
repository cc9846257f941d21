// The emulated accelerator devices of one emulator host. As on the real hardware ("only one model on an FPGA
// at a time"), each service replica occupies one whole device; a deploy that finds no free device fails with a
// message naming the services that hold them.
import { AccelError } from '../../domain/errors';

export interface DeviceSnapshot {
  count: number;
  devices: Array<{ id: number; owner?: string }>;
}

export class DevicePool {
  private readonly owners: Array<string | undefined>;

  constructor(readonly count: number) {
    if (!Number.isInteger(count) || count < 1) {
      throw new AccelError(
        'InvalidArgument',
        `The emulator needs at least 1 accelerator device (got ${count}). Set the device count to a whole number ≥ 1.`,
      );
    }
    this.owners = new Array(count).fill(undefined);
  }

  /** Reserves `n` free devices for `owner` (a service name) and returns their ids. */
  acquire(owner: string, n: number): number[] {
    if (!Number.isInteger(n) || n < 1) {
      throw new AccelError('InvalidArgument', `Service "${owner}" asks for ${n} replicas; use a whole number ≥ 1.`);
    }
    if (this.owners.includes(owner)) {
      throw new AccelError(
        'Busy',
        `Service "${owner}" already holds devices ${this.held(owner).join(', ')}; stop it before starting it again.`,
      );
    }
    if (n > this.count) {
      throw new AccelError(
        'Unavailable',
        `Service "${owner}" needs ${n} accelerator devices but the emulator has only ${this.count}. ` +
          `Deploy with --replicas ${this.count} or fewer, or restart the emulator with more devices (accel emulator start --devices ${n}).`,
      );
    }
    const free = this.owners.flatMap((o, id) => (o === undefined ? [id] : []));
    if (free.length < n) {
      const holders = this.holders().map(
        ([svc, ids]) => `"${svc}" (device${ids.length > 1 ? 's' : ''} ${ids.join(', ')})`,
      );
      throw new AccelError(
        'Busy',
        `No free accelerator device for service "${owner}": it needs ${n}, ${free.length} of ${this.count} free. ` +
          `Held by ${holders.join(', ')}. Free one with \`accel service delete <name>\` or \`accel service update <name> --replicas <fewer>\`, ` +
          `or restart the emulator with more devices.`,
        { holders: Object.fromEntries(this.holders()) },
      );
    }
    const ids = free.slice(0, n);
    for (const id of ids) this.owners[id] = owner;
    return ids;
  }

  /** Frees every device held by `owner`; a no-op when it holds none. */
  release(owner: string): void {
    for (let id = 0; id < this.count; id++) if (this.owners[id] === owner) this.owners[id] = undefined;
  }

  held(owner: string): number[] {
    return this.owners.flatMap((o, id) => (o === owner ? [id] : []));
  }

  snapshot(): DeviceSnapshot {
    return {
      count: this.count,
      devices: this.owners.map((owner, id) => (owner === undefined ? { id } : { id, owner })),
    };
  }

  private holders(): Array<[string, number[]]> {
    const map = new Map<string, number[]>();
    this.owners.forEach((o, id) => {
      if (o !== undefined) map.set(o, [...(map.get(o) ?? []), id]);
    });
    return [...map.entries()];
  }
}
