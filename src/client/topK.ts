// Top-k classes of one score vector, with softmax applied when the scores are logits rather than a distribution.

export interface Prediction {
  index: number;
  label: string;
  score: number;
}

/** True when the values already look like probabilities (all in [0,1], summing to 1). */
export function isDistribution(scores: ArrayLike<number>): boolean {
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i];
    if (!(v >= 0 && v <= 1)) return false;
    sum += v;
  }
  return Math.abs(sum - 1) < 1e-3;
}

export function softmax(scores: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) max = Math.max(max, scores[i]);
  const out = new Float64Array(scores.length);
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    out[i] = Math.exp(scores[i] - max);
    sum += out[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

export function topK(scores: ArrayLike<number>, labels: readonly string[], k = 5): Prediction[] {
  const probs = isDistribution(scores) ? Float64Array.from(scores as ArrayLike<number>) : softmax(scores);
  const order = Array.from(probs.keys()).sort((a, b) => probs[b] - probs[a] || a - b);
  return order
    .slice(0, Math.max(0, k))
    .map((index) => ({ index, label: labels[index] ?? `class ${index}`, score: probs[index] }));
}
