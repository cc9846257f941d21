// Classification metrics: accuracy, per-class precision / recall and the confusion matrix (rows: true class,
// columns: predicted class).

export interface Evaluation {
  accuracy: number;
  /** null where the class was never predicted (precision) or never present (recall). */
  precision: Array<number | null>;
  recall: Array<number | null>;
  support: number[];
  confusion: number[][];
}

export function evaluate(truth: Int32Array, predicted: Int32Array, classes: number): Evaluation {
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    confusion[truth[i]][predicted[i]]++;
    if (truth[i] === predicted[i]) correct++;
  }
  const support = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const predictedCount = confusion[0] ? confusion[0].map((_, c) => confusion.reduce((a, row) => a + row[c], 0)) : [];
  return {
    accuracy: truth.length ? correct / truth.length : 0,
    precision: predictedCount.map((n, c) => (n ? confusion[c][c] / n : null)),
    recall: support.map((n, c) => (n ? confusion[c][c] / n : null)),
    support,
    confusion,
  };
}
