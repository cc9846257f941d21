// The wizard runner: it asks only the steps whose shouldPrompt holds for the presets and answers so far, numbers
// them "step n of m" from those steps alone, and Back returns to the step asked before with its answer as default.
// The steps ask through a scripted UserInput, as the extension's wizards do.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InputOptions, PickOptions, StepInfo, UserInput } from '../../../src/vscode/ui';
import { BACK, runWizard, type Back, type WizardStep } from '../../../src/vscode/wizard';

type Answer = string | 'back';

/** Answers pick and input prompts from a script, recording each prompt's title and position. */
class ScriptedUserInput implements UserInput {
  readonly asked: Array<{ title: string; step?: number; totalSteps?: number; canGoBack?: boolean; value?: string }> =
    [];
  constructor(private readonly answers: Answer[]) {}

  private next(o: StepInfo, value?: string): Answer {
    this.asked.push({ title: o.title, step: o.step, totalSteps: o.totalSteps, canGoBack: o.canGoBack, value });
    const a = this.answers.shift();
    if (a === undefined) throw new Error(`unexpected prompt: ${o.title}`);
    return a;
  }

  async pick<T>(o: PickOptions<T>): Promise<T | Back> {
    const a = this.next(o, o.items.find((i) => i.picked)?.label);
    if (a === 'back') return BACK;
    const item = o.items.find((i) => i.label === a);
    if (!item) throw new Error(`no item ${a} in ${o.title}`);
    return item.value;
  }
  async pickMany<T>(o: PickOptions<T>): Promise<T[] | Back> {
    const a = this.next(o);
    return a === 'back' ? BACK : o.items.filter((i) => a.split(',').includes(i.label)).map((i) => i.value);
  }
  async input(o: InputOptions): Promise<string | Back> {
    const a = this.next(o, o.value);
    if (a === 'back') return BACK;
    const problem = o.validate?.(a);
    if (problem) throw new Error(`input ${a} rejected: ${problem}`);
    return a;
  }
  confirm(): Promise<boolean> {
    throw new Error('no confirmations in these wizards');
  }
  openDialog(): never {
    throw new Error('no dialogs in these wizards');
  }
  saveDialog(): never {
    throw new Error('no dialogs in these wizards');
  }
  assertDone(): void {
    assert.deepEqual(this.answers, [], 'every scripted answer is used');
  }
}

interface DeployState {
  preset: { image?: string; name?: string };
  image?: string;
  name?: string;
  kind?: 'local' | 'aks';
  cluster?: string;
}

function deploySteps(ui: UserInput): WizardStep<DeployState>[] {
  return [
    {
      id: 'image',
      shouldPrompt: (s) => !s.preset.image,
      prompt: async (s, p) => {
        const r = await ui.pick({
          title: 'image',
          ...p,
          items: ['a:1', 'b:1'].map((l) => ({ label: l, value: l, picked: s.image === l })),
        });
        if (r === BACK) return BACK;
        s.image = r;
      },
    },
    {
      id: 'name',
      shouldPrompt: (s) => !s.preset.name,
      prompt: async (s, p) => {
        const r = await ui.input({
          title: 'name',
          ...p,
          prompt: 'service name',
          value: s.name ?? `${(s.image ?? s.preset.image ?? 'svc').split(':')[0]}-svc`,
          validate: (v) => (/^[a-z][a-z0-9-]*$/.test(v) ? undefined : 'lower-case letters, digits and dashes'),
        });
        if (r === BACK) return BACK;
        s.name = r;
      },
    },
    {
      id: 'kind',
      shouldPrompt: () => true,
      prompt: async (s, p) => {
        const r = await ui.pick({
          title: 'kind',
          ...p,
          items: [
            { label: 'local', value: 'local' as const, picked: s.kind === 'local' },
            { label: 'aks', value: 'aks' as const, picked: s.kind === 'aks' },
          ],
        });
        if (r === BACK) return BACK;
        s.kind = r;
      },
    },
    {
      id: 'cluster',
      // Moot unless an earlier answer chose AKS.
      shouldPrompt: (s) => s.kind === 'aks',
      prompt: async (s, p) => {
        const r = await ui.pick({ title: 'cluster', ...p, items: [{ label: 'c1', value: 'c1' }] });
        if (r === BACK) return BACK;
        s.cluster = r;
      },
    },
  ];
}

const positions = (ui: ScriptedUserInput) =>
  ui.asked.map((a) => `${a.title} ${a.step}/${a.totalSteps}${a.canGoBack ? ' <' : ''}`);

describe('runWizard (step objects)', () => {
  it('asks every step that should prompt, in order, numbering them from the steps that will ask', async () => {
    const ui = new ScriptedUserInput(['a:1', 'mine', 'local']);
    const s = await runWizard<DeployState>({ preset: {} }, deploySteps(ui));
    ui.assertDone();
    assert.deepEqual(positions(ui), ['image 1/3', 'name 2/3 <', 'kind 3/3 <']);
    assert.deepEqual(s, { preset: {}, image: 'a:1', name: 'mine', kind: 'local' });
  });

  it('skips the steps a preset makes moot, and counts only the rest', async () => {
    const ui = new ScriptedUserInput(['local']);
    const s = await runWizard<DeployState>({ preset: { image: 'b:1', name: 'given' } }, deploySteps(ui));
    ui.assertDone();
    assert.deepEqual(positions(ui), ['kind 1/1']);
    assert.equal(s.kind, 'local');
    assert.equal(s.image, undefined);
  });

  it('an earlier answer adds a step: the total grows once the answer makes it needed', async () => {
    const ui = new ScriptedUserInput(['a:1', 'n', 'aks', 'c1']);
    const s = await runWizard<DeployState>({ preset: {} }, deploySteps(ui));
    ui.assertDone();
    assert.deepEqual(positions(ui), ['image 1/3', 'name 2/3 <', 'kind 3/3 <', 'cluster 4/4 <']);
    assert.equal(s.cluster, 'c1');
  });

  it('Back returns to the step asked before, skipping moot steps, with the earlier answer as the default', async () => {
    // image is preset, so Back from kind goes to name, and Back from the cluster goes to kind.
    const ui = new ScriptedUserInput(['n1', 'aks', 'back', 'back', 'n2', 'local']);
    const s = await runWizard<DeployState>({ preset: { image: 'b:1' } }, deploySteps(ui));
    ui.assertDone();
    assert.deepEqual(positions(ui), [
      'name 1/2',
      'kind 2/2 <',
      'cluster 3/3 <',
      'kind 2/3 <',
      'name 1/3',
      'kind 2/3 <',
    ]);
    assert.deepEqual(
      ui.asked.map((a) => a.value),
      ['b-svc', undefined, undefined, 'aks', 'n1', 'aks'],
      'a step asked again shows its earlier answer',
    );
    assert.equal(s.name, 'n2');
    assert.equal(s.kind, 'local');
  });

  it('Back on the first step asked (where no Back button shows) asks it again', async () => {
    const ui = new ScriptedUserInput(['back', 'b:1', 'x', 'local']);
    const s = await runWizard<DeployState>({ preset: {} }, deploySteps(ui));
    ui.assertDone();
    assert.deepEqual(positions(ui).slice(0, 2), ['image 1/3', 'image 1/3']);
    assert.equal(s.image, 'b:1');
  });

  it('asks nothing when every step is moot', async () => {
    const ui = new ScriptedUserInput([]);
    const steps = deploySteps(ui).filter((st) => st.id !== 'kind');
    const s = await runWizard<DeployState>({ preset: { image: 'a:1', name: 'n' } }, steps);
    assert.deepEqual(ui.asked, []);
    assert.deepEqual(s, { preset: { image: 'a:1', name: 'n' } });
  });

  it('a cancelled prompt ends the wizard with its error', async () => {
    const ui = new ScriptedUserInput(['a:1']);
    await assert.rejects(runWizard<DeployState>({ preset: {} }, deploySteps(ui)), /unexpected prompt: name/);
  });

  it('BACK is the registered symbol, the same value in every bundle', async () => {
    assert.equal(BACK, Symbol.for('accel.wizard.back'));
  });
});
