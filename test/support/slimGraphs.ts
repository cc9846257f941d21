// ResNet-50 v1 and VGG-16 shaped frozen graphs with TF-slim node names and random weights (reduced width to
// stay fast, real topology), optionally behind the original service's string-input preprocessing.
import { GraphDefWriter, a, rng } from './graphDefWriter';
import { addPreprocessArray } from './preprocessGraph';

const F = { T: a.type('float') };
const NHWC = { data_format: a.s('NHWC') };

class Slim {
  private r: () => number;
  constructor(
    readonly g: GraphDefWriter,
    seed: number,
  ) {
    this.r = rng(seed);
  }
  conv(
    scope: string,
    x: string,
    k: number,
    cin: number,
    cout: number,
    stride: number,
    padding: string,
    opts: { bn?: boolean; relu?: boolean; bias?: boolean } = {},
  ): string {
    const w = this.g.randomConst(`${scope}/weights`, [k, k, cin, cout], this.r);
    let y = this.g.op('Conv2D', `${scope}/Conv2D`, [x, w], {
      ...F,
      ...NHWC,
      strides: a.ints([1, stride, stride, 1]),
      padding: a.s(padding),
    });
    if (opts.bn ?? true) {
      const c = (n: string, f: () => number) =>
        this.g.const(`${scope}/BatchNorm/${n}`, [cout], Array.from({ length: cout }, f));
      const gamma = c('gamma', () => 0.5 + this.r()),
        beta = c('beta', () => this.r() * 0.2 - 0.1);
      const mean = c('moving_mean', () => this.r() * 0.2 - 0.1),
        variance = c('moving_variance', () => 0.5 + this.r());
      y = this.g.op('FusedBatchNormV3', `${scope}/BatchNorm/FusedBatchNormV3`, [y, gamma, beta, mean, variance], {
        ...F,
        ...NHWC,
        epsilon: a.f(1e-5),
        is_training: a.b(false),
      });
    }
    if (opts.bias) {
      const b = this.g.const(
        `${scope}/biases`,
        [cout],
        Array.from({ length: cout }, () => this.r() * 0.1),
      );
      y = this.g.op('BiasAdd', `${scope}/BiasAdd`, [y, b], { ...F, ...NHWC });
    }
    return (opts.relu ?? true) ? this.g.op('Relu', `${scope}/Relu`, [y], F) : y;
  }
  /** TF-slim conv2d_same: explicit symmetric-ish Pad, then VALID, when stride > 1. */
  convSame(scope: string, x: string, k: number, cin: number, cout: number, stride: number, padName: string): string {
    if (stride === 1) return this.conv(scope, x, k, cin, cout, 1, 'SAME');
    const total = k - 1,
      beg = Math.floor(total / 2),
      end = total - beg;
    const p = this.g.const(`${padName}/paddings`, [4, 2], [0, 0, beg, end, beg, end, 0, 0], 'int32');
    const padded = this.g.op('Pad', padName, [x, p], { T: a.type('float'), Tpaddings: a.type('int32') });
    return this.conv(scope, padded, k, cin, cout, stride, 'VALID');
  }
}

function classifier(g: GraphDefWriter, s: Slim, scope: string, features: string, cin: number, classes: number): string {
  const logits = s.conv(`classifier/${scope}/logits`, features, 1, cin, classes, 1, 'VALID', {
    bn: false,
    relu: false,
    bias: true,
  });
  const squeezed = g.op('Squeeze', `classifier/${scope}/SpatialSqueeze`, [logits], {
    ...F,
    squeeze_dims: a.ints([1, 2]),
  });
  return g.op('Softmax', `classifier/${scope}/predictions/Softmax`, [squeezed], F);
}

function input(g: GraphDefWriter, stringInput: boolean): string {
  if (!stringInput) return g.placeholder('Placeholder', [-1, 224, 224, 3]);
  g.placeholder('Placeholder', [-1], 'string');
  return addPreprocessArray(g, 'Placeholder');
}

/** ResNet-50 v1 (TF-slim): blocks of 3/4/6/3 bottleneck units, stride on the last unit of blocks 1-3. */
export function resnet50Graph(opts: { base?: number; stringInput?: boolean; classes?: number } = {}): GraphDefWriter {
  const g = new GraphDefWriter();
  const s = new Slim(g, 50);
  const base = opts.base ?? 8;
  let x = input(g, opts.stringInput ?? false);
  x = s.convSame('resnet_v1_50/conv1', x, 7, 3, base, 2, 'resnet_v1_50/Pad');
  x = g.op('MaxPool', 'resnet_v1_50/pool1/MaxPool', [x], {
    ...F,
    ...NHWC,
    ksize: a.ints([1, 3, 3, 1]),
    strides: a.ints([1, 2, 2, 1]),
    padding: a.s('SAME'),
  });
  let depthIn = base;
  const blocks: [number, number, number][] = [
    [base, 3, 2],
    [base * 2, 4, 2],
    [base * 4, 6, 2],
    [base * 8, 3, 1],
  ];
  blocks.forEach(([depth, units, lastStride], b) => {
    for (let u = 1; u <= units; u++) {
      const stride = u === units ? lastStride : 1;
      const scope = `resnet_v1_50/block${b + 1}/unit_${u}/bottleneck_v1`;
      const out = depth * 4;
      const shortcut =
        depthIn === out
          ? stride === 1
            ? x
            : g.op('MaxPool', `${scope}/shortcut/MaxPool`, [x], {
                ...F,
                ...NHWC,
                ksize: a.ints([1, 1, 1, 1]),
                strides: a.ints([1, stride, stride, 1]),
                padding: a.s('SAME'),
              })
          : s.conv(`${scope}/shortcut`, x, 1, depthIn, out, stride, 'SAME', { relu: false });
      let r = s.conv(`${scope}/conv1`, x, 1, depthIn, depth, 1, 'SAME');
      r = s.convSame(`${scope}/conv2`, r, 3, depth, depth, stride, `${scope}/conv2/Pad`);
      r = s.conv(`${scope}/conv3`, r, 1, depth, out, 1, 'SAME', { relu: false });
      const sum = g.op('AddV2', `${scope}/add`, [shortcut, r], F);
      x = g.op('Relu', `${scope}/Relu`, [sum], F);
      depthIn = out;
    }
  });
  g.const('resnet_v1_50/pool5/reduction_indices', [2], [1, 2], 'int32');
  const pool5 = g.op('Mean', 'resnet_v1_50/pool5', [x, 'resnet_v1_50/pool5/reduction_indices'], {
    ...F,
    keep_dims: a.b(true),
  });
  classifier(g, s, 'resnet_v1_50', pool5, depthIn, opts.classes ?? 1000);
  return g;
}

/** VGG-16 (TF-slim): 2-2-3-3-3 3x3 convs with max pools, fc6 7x7 VALID, fc7 1x1, fc8 1x1 + squeeze. */
export function vgg16Graph(opts: { base?: number; stringInput?: boolean } = {}): GraphDefWriter {
  const g = new GraphDefWriter();
  const s = new Slim(g, 16);
  const base = opts.base ?? 4;
  let x = input(g, opts.stringInput ?? false);
  let cin = 3;
  [
    [2, base],
    [2, base * 2],
    [3, base * 4],
    [3, base * 8],
    [3, base * 8],
  ].forEach(([n, depth], b) => {
    for (let i = 1; i <= n; i++) {
      x = s.conv(`vgg_16/conv${b + 1}/conv${b + 1}_${i}`, x, 3, cin, depth, 1, 'SAME', { bn: false, bias: true });
      cin = depth;
    }
    x = g.op('MaxPool', `vgg_16/pool${b + 1}/MaxPool`, [x], {
      ...F,
      ...NHWC,
      ksize: a.ints([1, 2, 2, 1]),
      strides: a.ints([1, 2, 2, 1]),
      padding: a.s('VALID'),
    });
  });
  x = s.conv('vgg_16/fc6', x, 7, cin, base * 16, 1, 'VALID', { bn: false, bias: true });
  x = s.conv('vgg_16/fc7', x, 1, base * 16, base * 16, 1, 'VALID', { bn: false, bias: true });
  const fc8 = s.conv('classifier/vgg_16/fc8', x, 1, base * 16, 1000, 1, 'VALID', {
    bn: false,
    relu: false,
    bias: true,
  });
  g.op('Squeeze', 'classifier/vgg_16/fc8/squeezed', [fc8], { ...F, squeeze_dims: a.ints([1, 2]) });
  return g;
}
