// A ResNet-50-architecture ONNX model with random weights, for timing only (fp32 kernels do not care about the
// values). Standard layer shapes: 7×7/2 stem + 3×3/2 max-pool, bottleneck stages [3,4,6,3] with widths
// 64/128/256/512 (×4 expansion), stride on the 3×3 conv of the first block of stages 2–4 and a 1×1 projection
// shortcut there, global average pool, 2048→1000 Gemm, Softmax. BN is folded into the conv biases, as an
// inference graph would have it. NCHW input "input" [N,3,224,224], output "probabilities" [N,1000].
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeOnnx } from '../src/convert/onnxModel';

export const RESNET50_INPUT = 'input';
export const RESNET50_OUTPUT = 'probabilities';

function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

export function buildResnet50(): Uint8Array {
  const rand = random(50);
  const nodes: object[] = [];
  const initializers: object[] = [];
  let counter = 0;
  const weight = (name: string, dims: number[], fanIn: number, zero = false) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (!zero) {
      const a = Math.sqrt(6 / fanIn);
      for (let i = 0; i < n; i++) data[i] = (rand() * 2 - 1) * a;
    }
    initializers.push({ name, dims, data_type: 1, raw_data: Buffer.from(data.buffer) });
    return name;
  };
  const ints = (name: string, v: number[]) => ({ name, type: 7, ints: v });
  const conv = (x: string, cin: number, cout: number, k: number, stride: number) => {
    const id = `conv${counter++}`;
    const w = weight(`${id}.w`, [cout, cin, k, k], cin * k * k);
    const b = weight(`${id}.b`, [cout], 1, true);
    const p = Math.floor(k / 2);
    nodes.push({
      name: id,
      op_type: 'Conv',
      input: [x, w, b],
      output: [id],
      attribute: [ints('kernel_shape', [k, k]), ints('strides', [stride, stride]), ints('pads', [p, p, p, p])],
    });
    return id;
  };
  const op = (op_type: string, input: string[], attribute: object[] = []) => {
    const id = `${op_type.toLowerCase()}${counter++}`;
    nodes.push({ name: id, op_type, input, output: [id], attribute });
    return id;
  };
  let x = op('Relu', [conv(RESNET50_INPUT, 3, 64, 7, 2)]);
  x = op('MaxPool', [x], [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1])]);
  let cin = 64;
  [3, 4, 6, 3].forEach((blocks, stage) => {
    const width = 64 << stage;
    for (let b = 0; b < blocks; b++) {
      const stride = b === 0 && stage > 0 ? 2 : 1;
      const shortcut = b === 0 ? conv(x, cin, width * 4, 1, stride) : x;
      let y = op('Relu', [conv(x, cin, width, 1, 1)]);
      y = op('Relu', [conv(y, width, width, 3, stride)]);
      y = conv(y, width, width * 4, 1, 1);
      x = op('Relu', [op('Add', [y, shortcut])]);
      cin = width * 4;
    }
  });
  x = op('Flatten', [op('GlobalAveragePool', [x])], [{ name: 'axis', type: 2, i: 1 }]);
  const fcW = weight('fc.w', [1000, 2048], 2048);
  const fcB = weight('fc.b', [1000], 1, true);
  x = op('Gemm', [x, fcW, fcB], [{ name: 'transB', type: 2, i: 1 }]);
  nodes.push({
    name: 'softmax',
    op_type: 'Softmax',
    input: [x],
    output: [RESNET50_OUTPUT],
    attribute: [{ name: 'axis', type: 2, i: 1 }],
  });
  const tensor = (name: string, dims: Array<number | string>) => ({
    name,
    type: {
      tensor_type: {
        elem_type: 1,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dim_param: d } : { dim_value: d })) },
      },
    },
  });
  return encodeOnnx({
    ir_version: 8,
    producer_name: 'accel-bench',
    opset_import: [{ domain: '', version: 13 }],
    graph: {
      name: 'resnet50_v1_random',
      node: nodes,
      initializer: initializers,
      input: [tensor(RESNET50_INPUT, ['N', 3, 224, 224])],
      output: [tensor(RESNET50_OUTPUT, ['N', 1000])],
    },
  });
}

/** The model file, generated once and cached under .cache/bench/. */
export function resnet50Path(repoRoot: string): string {
  const file = path.join(repoRoot, '.cache', 'bench', 'resnet50-v1-random.onnx');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, buildResnet50());
    fs.renameSync(tmp, file);
  }
  return file;
}
