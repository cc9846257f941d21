// The classifier head: multinomial logistic regression (softmax) with L2, trained full-batch with L-BFGS on
// centred, scaled features. Deterministic: zero start, fixed iteration order, no randomness. The result is folded
// back into raw-feature space (W·x + b), so the exported Gemm needs no separate normalization node.

export interface HeadOptions {
  /** L2 strength λ on the weights of the centred, scaled features (the bias is not penalized). */
  l2: number;
  /** Maximum full-batch iterations (each one pass of the gradient over all rows, plus line-search passes). */
  maxIterations: number;
  /** Stop when the largest gradient entry is below this. Default 1e-5. */
  gradientTolerance?: number;
  /** Called after each iteration; return true to stop (cancellation). */
  onIteration?: (iteration: number, loss: number) => boolean | void;
}

export interface SoftmaxHead {
  classes: number;
  dim: number;
  /** classes × dim, row-major, applied to raw features. */
  weights: Float32Array;
  bias: Float32Array;
  /** Objective (mean cross-entropy + L2) after each iteration, the start first. */
  lossCurve: number[];
  iterations: number;
  converged: boolean;
}

const HISTORY = 10;

function dot(a: Float64Array, ao: number, b: Float64Array, bo: number, n: number): number {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[ao + i] * b[bo + i];
    s1 += a[ao + i + 1] * b[bo + i + 1];
    s2 += a[ao + i + 2] * b[bo + i + 2];
    s3 += a[ao + i + 3] * b[bo + i + 3];
  }
  for (; i < n; i++) s0 += a[ao + i] * b[bo + i];
  return s0 + s1 + s2 + s3;
}

/**
 * Centres each feature and scales all of them by one factor (the inverse RMS spread). One factor rather than one
 * per feature: with few photos a per-feature scale would blow up features that barely vary in the training set.
 */
function standardize(
  features: Float32Array,
  n: number,
  dim: number,
): { x: Float64Array; mean: Float64Array; scale: number } {
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d] += features[i * dim + d];
  for (let d = 0; d < dim; d++) mean[d] /= n;
  let sq = 0;
  const x = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dim; d++) {
      const v = features[i * dim + d] - mean[d];
      x[i * dim + d] = v;
      sq += v * v;
    }
  }
  const rms = Math.sqrt(sq / (n * dim));
  const scale = rms > 1e-12 ? 1 / rms : 1;
  for (let j = 0; j < x.length; j++) x[j] *= scale;
  return { x, mean, scale };
}

/** z[c] = θ_c · x_row for every class, four classes per pass over the row (one load of x serves four products). */
function logits(theta: Float64Array, x: Float64Array, row: number, dim: number, k: number, z: Float64Array): void {
  let c = 0;
  for (; c + 3 < k; c += 4) {
    const o0 = c * dim,
      o1 = o0 + dim,
      o2 = o1 + dim,
      o3 = o2 + dim;
    let a0 = 0,
      a1 = 0,
      a2 = 0,
      a3 = 0;
    for (let d = 0; d < dim; d++) {
      const v = x[row + d];
      a0 += theta[o0 + d] * v;
      a1 += theta[o1 + d] * v;
      a2 += theta[o2 + d] * v;
      a3 += theta[o3 + d] * v;
    }
    z[c] = a0;
    z[c + 1] = a1;
    z[c + 2] = a2;
    z[c + 3] = a3;
  }
  for (; c < k; c++) z[c] = dot(theta, c * dim, x, row, dim);
}

/** grad_c += g[c] · x_row for every class, four classes per pass over the row. */
function accumulate(grad: Float64Array, x: Float64Array, row: number, dim: number, k: number, g: Float64Array): void {
  let c = 0;
  for (; c + 3 < k; c += 4) {
    const o0 = c * dim,
      o1 = o0 + dim,
      o2 = o1 + dim,
      o3 = o2 + dim;
    const g0 = g[c],
      g1 = g[c + 1],
      g2 = g[c + 2],
      g3 = g[c + 3];
    for (let d = 0; d < dim; d++) {
      const v = x[row + d];
      grad[o0 + d] += g0 * v;
      grad[o1 + d] += g1 * v;
      grad[o2 + d] += g2 * v;
      grad[o3 + d] += g3 * v;
    }
  }
  for (; c < k; c++) {
    const o = c * dim,
      gc = g[c];
    for (let d = 0; d < dim; d++) grad[o + d] += gc * x[row + d];
  }
}

/** Mean cross-entropy + (λ/2)‖W‖² and its gradient at θ = [W (k×dim), b (k)]. */
function objective(
  theta: Float64Array,
  grad: Float64Array,
  x: Float64Array,
  labels: Int32Array,
  n: number,
  dim: number,
  k: number,
  l2: number,
): number {
  grad.fill(0);
  const z = new Float64Array(k);
  const g = new Float64Array(k);
  const biasAt = k * dim;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const row = i * dim;
    logits(theta, x, row, dim, k, z);
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      z[c] += theta[biasAt + c];
      if (z[c] > max) max = z[c];
    }
    let sum = 0;
    for (let c = 0; c < k; c++) {
      z[c] = Math.exp(z[c] - max);
      sum += z[c];
    }
    const y = labels[i];
    loss -= Math.log(z[y] / sum);
    for (let c = 0; c < k; c++) {
      g[c] = (z[c] / sum - (c === y ? 1 : 0)) / n;
      grad[biasAt + c] += g[c];
    }
    accumulate(grad, x, row, dim, k, g);
  }
  loss /= n;
  let reg = 0;
  for (let j = 0; j < biasAt; j++) {
    reg += theta[j] * theta[j];
    grad[j] += l2 * theta[j];
  }
  return loss + 0.5 * l2 * reg;
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m;
}

/**
 * Trains the head on `n` rows of `dim` features (row-major) with labels in [0, classes). Every class should have
 * at least one row; the caller checks that.
 */
export function trainSoftmaxHead(
  features: Float32Array,
  n: number,
  dim: number,
  labels: Int32Array,
  classes: number,
  options: HeadOptions,
): SoftmaxHead {
  const { x, mean, scale } = standardize(features, n, dim);
  const size = classes * dim + classes;
  const l2 = options.l2;
  const tol = options.gradientTolerance ?? 1e-5;
  let theta = new Float64Array(size);
  let grad = new Float64Array(size);
  let loss = objective(theta, grad, x, labels, n, dim, classes, l2);
  const lossCurve = [loss];
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(HISTORY);
  const direction = new Float64Array(size);
  const nextTheta = new Float64Array(size);
  let nextGrad = new Float64Array(size);
  let iterations = 0;
  let converged = maxAbs(grad) < tol;
  while (!converged && iterations < options.maxIterations) {
    // Two-loop recursion: direction = -H·grad.
    for (let j = 0; j < size; j++) direction[j] = -grad[j];
    for (let h = s.length - 1; h >= 0; h--) {
      alpha[h] = rho[h] * dot(s[h], 0, direction, 0, size);
      for (let j = 0; j < size; j++) direction[j] -= alpha[h] * y[h][j];
    }
    if (s.length > 0) {
      const last = s.length - 1;
      const gamma = dot(s[last], 0, y[last], 0, size) / dot(y[last], 0, y[last], 0, size);
      for (let j = 0; j < size; j++) direction[j] *= gamma;
    }
    for (let h = 0; h < s.length; h++) {
      const beta = rho[h] * dot(y[h], 0, direction, 0, size);
      for (let j = 0; j < size; j++) direction[j] += s[h][j] * (alpha[h] - beta);
    }
    let slope = dot(grad, 0, direction, 0, size);
    if (slope >= 0) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      s.length = y.length = rho.length = 0;
      for (let j = 0; j < size; j++) direction[j] = -grad[j];
      slope = dot(grad, 0, direction, 0, size);
    }
    // Backtracking (Armijo). The first step is scaled so it moves the parameters by at most 1.
    let step = s.length === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    let nextLoss = Infinity;
    for (let tries = 0; tries < 30; tries++) {
      for (let j = 0; j < size; j++) nextTheta[j] = theta[j] + step * direction[j];
      nextLoss = objective(nextTheta, nextGrad, x, labels, n, dim, classes, l2);
      if (nextLoss <= loss + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(nextLoss < loss)) {
      converged = true; // no further decrease possible at this precision
      break;
    }
    const sk = new Float64Array(size);
    const yk = new Float64Array(size);
    for (let j = 0; j < size; j++) {
      sk[j] = nextTheta[j] - theta[j];
      yk[j] = nextGrad[j] - grad[j];
    }
    const sy = dot(sk, 0, yk, 0, size);
    if (sy > 1e-12) {
      if (s.length === HISTORY) {
        s.shift();
        y.shift();
        rho.shift();
      }
      s.push(sk);
      y.push(yk);
      rho.push(1 / sy);
    }
    const previous = loss;
    [theta, grad, nextGrad] = [Float64Array.from(nextTheta), nextGrad, grad];
    loss = nextLoss;
    lossCurve.push(loss);
    iterations++;
    converged = maxAbs(grad) < tol || previous - loss < 1e-10 * Math.max(1, Math.abs(previous));
    if (options.onIteration?.(iterations, loss)) break;
  }

  // Fold the standardization into raw-feature space: w'·x + b' = w·((x - mean)·scale) + b.
  const weights = new Float32Array(classes * dim);
  const bias = new Float32Array(classes);
  for (let c = 0; c < classes; c++) {
    let b = theta[classes * dim + c];
    for (let d = 0; d < dim; d++) {
      const w = theta[c * dim + d] * scale;
      weights[c * dim + d] = w;
      b -= w * mean[d];
    }
    bias[c] = b;
  }
  return { classes, dim, weights, bias, lossCurve, iterations, converged };
}

/** Class probabilities (n × classes, row-major) for raw features, as the exported Gemm + Softmax computes them. */
export function predictProbabilities(head: SoftmaxHead, features: Float32Array, n: number): Float32Array {
  const { classes: k, dim } = head;
  const out = new Float32Array(n * k);
  const z = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      let v = head.bias[c];
      for (let d = 0; d < dim; d++) v += head.weights[c * dim + d] * features[i * dim + d];
      z[c] = v;
      if (v > max) max = v;
    }
    let sum = 0;
    for (let c = 0; c < k; c++) sum += z[c] = Math.exp(z[c] - max);
    for (let c = 0; c < k; c++) out[i * k + c] = z[c] / sum;
  }
  return out;
}

/** The most probable class of each row. */
export function argmaxRows(probabilities: Float32Array, n: number, k: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probabilities[i * k + c] > probabilities[i * k + best]) best = c;
    out[i] = best;
  }
  return out;
}
