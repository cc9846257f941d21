// Wizards as small step objects: each step says whether it needs to ask (a preset or an earlier answer can make it
// moot) and asks through UserInput. The runner asks only the steps that still need asking, numbers them "step n of
// m" from those steps alone, and Back returns to the step asked before (a history stack), keeping its answer as the
// default. No runtime `vscode` import: the runner is unit-tested in plain Node with a scripted UserInput.
/** A registered symbol, so that it is the same value in every bundle (the tests' and the extension's). */
export const BACK: unique symbol = Symbol.for('accel.wizard.back') as never;
export type Back = typeof BACK;

export interface StepPosition {
  /** 1-based number of this step among the steps asked in this run. */
  step: number;
  /** Steps asked so far plus the steps still to ask given the answers so far. */
  totalSteps: number;
  /** Whether a step was asked before this one (shows the Back button). */
  canGoBack: boolean;
}

export interface WizardStep<S> {
  /** Names the step in logs and tests. */
  id: string;
  /**
   * Whether this step needs to ask, given presets and the answers of earlier steps. Consulted when the wizard moves
   * forward; Back returns to the step asked before without consulting it again.
   */
  shouldPrompt(state: S): boolean;
  /** Asks (through UserInput) and writes the answer into `state`; returns BACK to go to the step asked before. */
  prompt(state: S, position: StepPosition): Promise<void | Back>;
}

/** Asks the steps that should prompt, in order, with Back; returns the filled state. */
export async function runWizard<S>(state: S, steps: ReadonlyArray<WizardStep<S>>): Promise<S> {
  const asked: number[] = [];
  let i = nextToAsk(state, steps, 0);
  while (i < steps.length) {
    const position: StepPosition = {
      step: asked.length + 1,
      totalSteps: asked.length + 1 + countToAsk(state, steps, i + 1),
      canGoBack: asked.length > 0,
    };
    const r = await steps[i].prompt(state, position);
    if (r === BACK) {
      // Back on the first step asked (no Back button there) asks it again.
      i = asked.pop() ?? i;
    } else {
      asked.push(i);
      i = nextToAsk(state, steps, i + 1);
    }
  }
  return state;
}

function nextToAsk<S>(state: S, steps: ReadonlyArray<WizardStep<S>>, from: number): number {
  let i = from;
  while (i < steps.length && !steps[i].shouldPrompt(state)) i++;
  return i;
}

function countToAsk<S>(state: S, steps: ReadonlyArray<WizardStep<S>>, from: number): number {
  return steps.slice(from).filter((s) => s.shouldPrompt(state)).length;
}
