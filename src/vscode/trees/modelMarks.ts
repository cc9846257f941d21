// How the Models view marks transfer-learning models, from the tags the classifier use cases set: a trained
// classifier (`classifier`, `featurizer`), a cut featurizer (`featurizerOf`), a model other classifiers use as
// their featurizer, and the transient featurizer of a training run in progress. Pure (no vscode): icon ids are
// codicon names.
import type { Model } from '../../domain/types';

export interface ModelMark {
  /** Appended to the node's description. */
  description: string;
  /** Codicon id replacing the default icon, when set. */
  icon?: string;
  /** Extra tooltip rows. */
  rows: Array<[string, string]>;
  /** Appended to the contextValue (`;classifier`, `;featurizer`). */
  context?: string;
}

const list = (items: string[], max = 12) =>
  items.length > max ? `${items.slice(0, max).join(', ')} and ${items.length - max} more` : items.join(', ');

const pct = (v: string | undefined) =>
  v && v !== 'none' && Number.isFinite(Number(v)) ? `${(Number(v) * 100).toFixed(1)}%` : undefined;

/** The mark of `model` among the workspace's `all` models; undefined when it plays no transfer-learning role. */
export function modelMark(model: Model, all: Model[]): ModelMark | undefined {
  const t = model.tags;
  if (t.transient === 'featurizer')
    return {
      description: 'featurizing (temporary)',
      icon: 'loading~spin',
      rows: [['role', 'temporary featurizer of a training run']],
    };
  if (t.classifier) {
    const labels = Array.isArray(model.labels) ? model.labels : [];
    const rows: Array<[string, string]> = [
      [
        'classifier',
        `${t.classifier} head over featurizer ${t.featurizer ?? '?'}${t.featureTensor ? ` (tensor ${t.featureTensor})` : ''}`,
      ],
      ['classes', `${labels.length}: ${list(labels)}`],
    ];
    const holdout = pct(t['accuracy.holdout']);
    const train = pct(t['accuracy.train']);
    if (holdout || train)
      rows.push(['accuracy', [holdout && `hold-out ${holdout}`, train && `train ${train}`].filter(Boolean).join(', ')]);
    return {
      description: `classifier · ${labels.length} classes${t.featurizer ? ` · on ${t.featurizer}` : ''}`,
      icon: 'mortar-board',
      rows,
      context: ';classifier',
    };
  }
  const users = all.filter((m) => m.tags.classifier && m.tags.featurizer === model.id).map((m) => m.id);
  if (t.featurizerOf)
    return {
      description: `featurizer of ${t.featurizerOf}`,
      icon: 'layers',
      rows: [
        ['featurizer', `${t.featurizerOf} cut at ${t.featureTensor ?? 'its feature tensor'}`],
        ...(users.length ? [['featurizer for', list(users)] as [string, string]] : []),
      ],
      context: ';featurizer',
    };
  if (users.length)
    return {
      description: `featurizer of ${users.length} classifier${users.length === 1 ? '' : 's'}`,
      icon: 'layers',
      rows: [['featurizer for', list(users)]],
      context: ';featurizer',
    };
  return undefined;
}
