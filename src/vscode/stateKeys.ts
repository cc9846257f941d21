// The state behind the context keys of src/vscode/contextKeys.ts, computed without vscode so it is unit-tested:
// what the active workspace holds and whether one of its services has answered a Predict.
import type { HostStatus } from '../emulator/host/hostControl';

export interface StateKeys {
  'accel.hasService': boolean;
  'accel.hasModel': boolean;
  'accel.hasConverted': boolean;
  'accel.hasScored': boolean;
}

/** The keys for a workspace's state and the emulator's live status (pure: the unit tests call it). */
export function stateKeys(
  state: { models: Array<{ parentId?: string }>; services: Array<{ name: string }> } | undefined,
  workspace: string | undefined,
  live: HostStatus | undefined,
): StateKeys {
  const names = new Set((state?.services ?? []).map((s) => s.name));
  return {
    'accel.hasService': names.size > 0,
    'accel.hasModel': (state?.models ?? []).some((m) => !m.parentId),
    'accel.hasConverted': (state?.models ?? []).some((m) => !!m.parentId),
    'accel.hasScored': (live?.services ?? []).some(
      (s) => s.workspace === workspace && names.has(s.name) && s.requests > 0,
    ),
  };
}
