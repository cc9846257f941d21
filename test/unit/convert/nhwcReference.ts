// Straightforward reference implementations of the TF ops, on NHWC float arrays with plain loops. They
// are deliberately written from the TF op definitions and share no code with the converter.

export interface T {
  shape: number[];
  data: Float32Array;
}

export function tensor(shape: number[], fill: (i: number) => number): T {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: n }, (_, i) => fill(i)) };
}

/** TF padding for one spatial axis: [output size, padding before]. */
function tfPad(size: number, k: number, s: number, d: number, padding: string): [number, number] {
  const eff = (k - 1) * d + 1;
  if (padding === 'VALID') return [Math.floor((size - eff) / s) + 1, 0];
  const out = Math.floor((size + s - 1) / s);
  const total = Math.max(0, (out - 1) * s + eff - size);
  return [out, Math.floor(total / 2)];
}

export function conv2d(x: T, w: T, strides: [number, number], padding: string, dil: [number, number] = [1, 1]): T {
  const [N, H, W, C] = x.shape;
  const [KH, KW, CI, CO] = w.shape;
  if (CI !== C) throw new Error('channels');
  const [OH, pt] = tfPad(H, KH, strides[0], dil[0], padding);
  const [OW, pl] = tfPad(W, KW, strides[1], dil[1], padding);
  const out = new Float32Array(N * OH * OW * CO);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let co = 0; co < CO; co++) {
          let acc = 0;
          for (let kh = 0; kh < KH; kh++)
            for (let kw = 0; kw < KW; kw++) {
              const ih = oh * strides[0] + kh * dil[0] - pt;
              const iw = ow * strides[1] + kw * dil[1] - pl;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              for (let ci = 0; ci < C; ci++)
                acc += x.data[((n * H + ih) * W + iw) * C + ci] * w.data[((kh * KW + kw) * CI + ci) * CO + co];
            }
          out[((n * OH + oh) * OW + ow) * CO + co] = acc;
        }
  return { shape: [N, OH, OW, CO], data: out };
}

export function depthwise(x: T, w: T, strides: [number, number], padding: string, dil: [number, number] = [1, 1]): T {
  const [N, H, W, C] = x.shape;
  const [KH, KW, , M] = w.shape;
  const [OH, pt] = tfPad(H, KH, strides[0], dil[0], padding);
  const [OW, pl] = tfPad(W, KW, strides[1], dil[1], padding);
  const out = new Float32Array(N * OH * OW * C * M);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let c = 0; c < C; c++)
          for (let m = 0; m < M; m++) {
            let acc = 0;
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) {
                const ih = oh * strides[0] + kh * dil[0] - pt;
                const iw = ow * strides[1] + kw * dil[1] - pl;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += x.data[((n * H + ih) * W + iw) * C + c] * w.data[((kh * KW + kw) * C + c) * M + m];
              }
            out[((n * OH + oh) * OW + ow) * C * M + c * M + m] = acc;
          }
  return { shape: [N, OH, OW, C * M], data: out };
}

export function pool(x: T, k: [number, number], s: [number, number], padding: string, kind: 'max' | 'avg'): T {
  const [N, H, W, C] = x.shape;
  const [OH, pt] = tfPad(H, k[0], s[0], 1, padding);
  const [OW, pl] = tfPad(W, k[1], s[1], 1, padding);
  const out = new Float32Array(N * OH * OW * C);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let c = 0; c < C; c++) {
          let acc = kind === 'max' ? -Infinity : 0;
          let count = 0;
          for (let kh = 0; kh < k[0]; kh++)
            for (let kw = 0; kw < k[1]; kw++) {
              const ih = oh * s[0] + kh - pt;
              const iw = ow * s[1] + kw - pl;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              const v = x.data[((n * H + ih) * W + iw) * C + c];
              acc = kind === 'max' ? Math.max(acc, v) : acc + v;
              count++;
            }
          out[((n * OH + oh) * OW + ow) * C + c] = kind === 'max' ? acc : acc / count;
        }
  return { shape: [N, OH, OW, C], data: out };
}

/** Elementwise with broadcasting of `b` over the trailing axes of `a` (b rank ≤ a rank). */
export function broadcast(a: T, b: T, f: (x: number, y: number) => number): T {
  const out = new Float32Array(a.data.length);
  const r = a.shape.length;
  const bs = [...new Array(r - b.shape.length).fill(1), ...b.shape];
  for (let i = 0; i < a.data.length; i++) {
    let rem = i,
      bi = 0,
      bstride = 1;
    const idx: number[] = new Array(r);
    for (let d = r - 1; d >= 0; d--) {
      idx[d] = rem % a.shape[d];
      rem = Math.floor(rem / a.shape[d]);
    }
    for (let d = r - 1; d >= 0; d--) {
      bi += (bs[d] === 1 ? 0 : idx[d]) * bstride;
      bstride *= bs[d];
    }
    out[i] = f(a.data[i], b.data[bi]);
  }
  return { shape: [...a.shape], data: out };
}

export function map(a: T, f: (x: number) => number): T {
  return { shape: [...a.shape], data: a.data.map(f) };
}

export function batchNorm(x: T, gamma: number[], beta: number[], mean: number[], variance: number[], eps: number): T {
  const C = x.shape[x.shape.length - 1];
  return {
    shape: [...x.shape],
    data: x.data.map((v, i) => {
      const c = i % C;
      return ((v - mean[c]) / Math.sqrt(variance[c] + eps)) * gamma[c] + beta[c];
    }),
  };
}

export function meanHW(x: T, keep: boolean): T {
  const [N, H, W, C] = x.shape;
  const out = new Float32Array(N * C);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) s += x.data[((n * H + h) * W + w) * C + c];
      out[n * C + c] = s / (H * W);
    }
  return { shape: keep ? [N, 1, 1, C] : [N, C], data: out };
}

export function pad4(x: T, p: [number, number][], value = 0): T {
  const [N, H, W, C] = x.shape;
  const shape = x.shape.map((d, i) => d + p[i][0] + p[i][1]);
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value);
  for (let n = 0; n < N; n++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++)
        for (let c = 0; c < C; c++) {
          const o = (((n + p[0][0]) * shape[1] + h + p[1][0]) * shape[2] + w + p[2][0]) * shape[3] + c + p[3][0];
          out[o] = x.data[((n * H + h) * W + w) * C + c];
        }
  return { shape, data: out };
}

export function concatLast(parts: T[]): T {
  const lead = parts[0].shape.slice(0, -1);
  const rows = lead.reduce((a, b) => a * b, 1);
  const total = parts.reduce((s, p) => s + p.shape[p.shape.length - 1], 0);
  const out = new Float32Array(rows * total);
  for (let r = 0; r < rows; r++) {
    let off = 0;
    for (const p of parts) {
      const c = p.shape[p.shape.length - 1];
      for (let i = 0; i < c; i++) out[r * total + off + i] = p.data[r * c + i];
      off += c;
    }
  }
  return { shape: [...lead, total], data: out };
}

export function matmul(a: T, b: T): T {
  const [M, K] = a.shape;
  const [, N] = b.shape;
  const out = new Float32Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a.data[i * K + k] * b.data[k * N + j];
      out[i * N + j] = s;
    }
  return { shape: [M, N], data: out };
}

export function softmaxLast(x: T): T {
  const C = x.shape[x.shape.length - 1];
  const out = new Float32Array(x.data.length);
  for (let r = 0; r < x.data.length / C; r++) {
    let m = -Infinity;
    for (let i = 0; i < C; i++) m = Math.max(m, x.data[r * C + i]);
    let s = 0;
    for (let i = 0; i < C; i++) s += Math.exp(x.data[r * C + i] - m);
    for (let i = 0; i < C; i++) out[r * C + i] = Math.exp(x.data[r * C + i] - m) / s;
  }
  return { shape: [...x.shape], data: out };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
