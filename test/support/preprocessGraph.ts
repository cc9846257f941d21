// Writes the string-input preprocessing subgraph of the original service (seed-system.md §2.1,
// preprocess_array) as TF1 builds it: a map_fn while loop over a TensorArray of encoded images, each
// decoded, cast, resized (shortest side 256, or a plain resize), centre-cropped, mean-subtracted per
// channel, concatenated in RGB or BGR order and scaled. Returns the batch tensor the model reads.
import { type GraphDefWriter, a } from './graphDefWriter';

export interface PreprocessOptions {
  order?: 'RGB' | 'BGR';
  scalingFactor?: number;
  size?: number;
  preserveAspectRatio?: boolean;
  means?: [number, number, number];
  scope?: string;
}

export function addPreprocessArray(g: GraphDefWriter, input: string, opts: PreprocessOptions = {}): string {
  const s = opts.scope ?? 'map_normalize_jpeg';
  const size = opts.size ?? 224;
  const [mr, mg, mb] = opts.means ?? [123.68, 116.779, 103.939];
  const i32 = { T: a.type('int32') };
  const f32 = { T: a.type('float') };
  const ss = (name: string, x: string, b: number, e: number) => {
    g.const(`${name}/stack`, [1], [b], 'int32');
    g.const(`${name}/stack_1`, [1], [e], 'int32');
    g.const(`${name}/stack_2`, [1], [1], 'int32');
    return g.op('StridedSlice', name, [x, `${name}/stack`, `${name}/stack_1`, `${name}/stack_2`], {
      T: a.type('int32'),
      Index: a.type('int32'),
      shrink_axis_mask: a.i(1),
    });
  };

  // Outside the loop: the TensorArrays and the batch size.
  g.op('Shape', `${s}/Shape`, [input], { T: a.type('string'), out_type: a.type('int32') });
  const n = ss(`${s}/strided_slice`, `${s}/Shape`, 0, 1);
  g.op('TensorArrayV3', `${s}/TensorArray`, [n], { dtype: a.type('string'), element_shape: a.shape(null) });
  g.op('TensorArrayV3', `${s}/TensorArray_1`, [n], { dtype: a.type('float'), element_shape: a.shape(null) });
  g.const(`${s}/TensorArrayUnstack/range/start`, [], [0], 'int32');
  g.const(`${s}/TensorArrayUnstack/range/delta`, [], [1], 'int32');
  g.op(
    'Range',
    `${s}/TensorArrayUnstack/range`,
    [`${s}/TensorArrayUnstack/range/start`, n, `${s}/TensorArrayUnstack/range/delta`],
    { Tidx: a.type('int32') },
  );
  g.op(
    'TensorArrayScatterV3',
    `${s}/TensorArrayUnstack/TensorArrayScatter/TensorArrayScatterV3`,
    [`${s}/TensorArray`, `${s}/TensorArrayUnstack/range`, input, `${s}/TensorArray:1`],
    { T: a.type('string') },
  );
  g.const(`${s}/Const`, [], [0], 'int32');

  // The while loop.
  const w = `${s}/while`;
  g.op('Enter', `${w}/Enter`, [`${s}/Const`], { T: a.type('int32'), frame_name: a.s(w) });
  g.op('Enter', `${w}/Enter_1`, [`${s}/TensorArray_1:1`], { T: a.type('float'), frame_name: a.s(w) });
  g.op('Merge', `${w}/Merge`, [`${w}/Enter`, `${w}/NextIteration`], { T: a.type('int32'), N: a.i(2) });
  g.op('Merge', `${w}/Merge_1`, [`${w}/Enter_1`, `${w}/NextIteration_1`], { T: a.type('float'), N: a.i(2) });
  g.op('Enter', `${w}/Less/Enter`, [n], { T: a.type('int32'), frame_name: a.s(w), is_constant: a.b(true) });
  g.op('Less', `${w}/Less`, [`${w}/Merge`, `${w}/Less/Enter`], i32);
  g.op('LoopCond', `${w}/LoopCond`, [`${w}/Less`]);
  g.op('Switch', `${w}/Switch`, [`${w}/Merge`, `${w}/LoopCond`], i32);
  g.op('Switch', `${w}/Switch_1`, [`${w}/Merge_1`, `${w}/LoopCond`], f32);
  g.op('Identity', `${w}/Identity`, [`${w}/Switch:1`], i32);
  g.op('Identity', `${w}/Identity_1`, [`${w}/Switch_1:1`], f32);
  g.op('Enter', `${w}/TensorArrayReadV3/Enter`, [`${s}/TensorArray`], {
    T: a.type('string'),
    frame_name: a.s(w),
    is_constant: a.b(true),
  });
  g.op('Enter', `${w}/TensorArrayReadV3/Enter_1`, [`${s}/TensorArrayUnstack/TensorArrayScatter/TensorArrayScatterV3`], {
    T: a.type('float'),
    frame_name: a.s(w),
    is_constant: a.b(true),
  });
  g.op(
    'TensorArrayReadV3',
    `${w}/TensorArrayReadV3`,
    [`${w}/TensorArrayReadV3/Enter`, `${w}/Identity`, `${w}/TensorArrayReadV3/Enter_1`],
    { dtype: a.type('string') },
  );

  // Per image.
  g.op('DecodePng', `${w}/DecodePng`, [`${w}/TensorArrayReadV3`], { channels: a.i(3), dtype: a.type('uint8') });
  g.op('Cast', `${w}/Cast`, [`${w}/DecodePng`], { SrcT: a.type('uint8'), DstT: a.type('float') });
  let image = `${w}/Cast`;
  g.const(`${w}/ExpandDims/dim`, [], [0], 'int32');
  g.op('ExpandDims', `${w}/ExpandDims`, [image, `${w}/ExpandDims/dim`], f32);
  let resized: string;
  if (opts.preserveAspectRatio ?? true) {
    g.op('Shape', `${w}/Shape`, [image], { T: a.type('float'), out_type: a.type('int32') });
    const h = ss(`${w}/strided_slice`, `${w}/Shape`, 0, 1);
    const wd = ss(`${w}/strided_slice_1`, `${w}/Shape`, 1, 2);
    g.op('Cast', `${w}/ToFloat`, [h], { SrcT: a.type('int32'), DstT: a.type('float') });
    g.op('Cast', `${w}/ToFloat_1`, [wd], { SrcT: a.type('int32'), DstT: a.type('float') });
    g.const(`${w}/resize_min`, [], [256]);
    g.op('Greater', `${w}/Greater`, [`${w}/ToFloat`, `${w}/ToFloat_1`], f32);
    g.op('RealDiv', `${w}/truediv`, [`${w}/resize_min`, `${w}/ToFloat_1`], f32);
    g.op('RealDiv', `${w}/truediv_1`, [`${w}/resize_min`, `${w}/ToFloat`], f32);
    g.op('Select', `${w}/scale`, [`${w}/Greater`, `${w}/truediv`, `${w}/truediv_1`], f32);
    g.op('Mul', `${w}/mul`, [`${w}/ToFloat`, `${w}/scale`], f32);
    g.op('Mul', `${w}/mul_1`, [`${w}/ToFloat_1`, `${w}/scale`], f32);
    g.op('Cast', `${w}/ToInt32`, [`${w}/mul`], { SrcT: a.type('float'), DstT: a.type('int32') });
    g.op('Cast', `${w}/ToInt32_1`, [`${w}/mul_1`], { SrcT: a.type('float'), DstT: a.type('int32') });
    g.op('Pack', `${w}/size`, [`${w}/ToInt32`, `${w}/ToInt32_1`], { T: a.type('int32'), N: a.i(2), axis: a.i(0) });
    g.op('ResizeBilinear', `${w}/ResizeBilinear`, [`${w}/ExpandDims`, `${w}/size`], {
      T: a.type('float'),
      align_corners: a.b(false),
    });
    g.op('Squeeze', `${w}/Squeeze`, [`${w}/ResizeBilinear`], { T: a.type('float'), squeeze_dims: a.ints([0]) });
    // Central crop: offset = (dim - crop) / 2, truncated.
    g.op('Shape', `${w}/Shape_1`, [`${w}/Squeeze`], { T: a.type('float'), out_type: a.type('int32') });
    const h2 = ss(`${w}/strided_slice_2`, `${w}/Shape_1`, 0, 1);
    const w2 = ss(`${w}/strided_slice_3`, `${w}/Shape_1`, 1, 2);
    g.const(`${w}/crop_size`, [], [size], 'int32');
    g.const(`${w}/two`, [], [2], 'int32');
    g.op('Sub', `${w}/sub_h`, [h2, `${w}/crop_size`], i32);
    g.op('FloorDiv', `${w}/offset_h`, [`${w}/sub_h`, `${w}/two`], i32);
    g.op('Sub', `${w}/sub_w`, [w2, `${w}/crop_size`], i32);
    g.op('FloorDiv', `${w}/offset_w`, [`${w}/sub_w`, `${w}/two`], i32);
    g.const(`${w}/zero`, [], [0], 'int32');
    g.op('Pack', `${w}/begin`, [`${w}/offset_h`, `${w}/offset_w`, `${w}/zero`], {
      T: a.type('int32'),
      N: a.i(3),
      axis: a.i(0),
    });
    g.const(`${w}/Slice/size`, [3], [size, size, -1], 'int32');
    resized = g.op('Slice', `${w}/Slice`, [`${w}/Squeeze`, `${w}/begin`, `${w}/Slice/size`], {
      T: a.type('float'),
      Index: a.type('int32'),
    });
  } else {
    g.const(`${w}/size`, [2], [size, size], 'int32');
    g.op('ResizeBilinear', `${w}/ResizeBilinear`, [`${w}/ExpandDims`, `${w}/size`], {
      T: a.type('float'),
      align_corners: a.b(false),
    });
    resized = g.op('Squeeze', `${w}/Squeeze`, [`${w}/ResizeBilinear`], {
      T: a.type('float'),
      squeeze_dims: a.ints([0]),
    });
  }
  image = resized;
  g.const(`${w}/split/split_dim`, [], [2], 'int32');
  g.op('Split', `${w}/split`, [`${w}/split/split_dim`, image], { T: a.type('float'), num_split: a.i(3) });
  g.const(`${w}/sub/y`, [], [mr]);
  g.const(`${w}/sub_1/y`, [], [mg]);
  g.const(`${w}/sub_2/y`, [], [mb]);
  g.op('Sub', `${w}/sub`, [`${w}/split`, `${w}/sub/y`], f32);
  g.op('Sub', `${w}/sub_1`, [`${w}/split:1`, `${w}/sub_1/y`], f32);
  g.op('Sub', `${w}/sub_2`, [`${w}/split:2`, `${w}/sub_2/y`], f32);
  g.const(`${w}/concat/axis`, [], [2], 'int32');
  const parts =
    (opts.order ?? 'RGB') === 'RGB'
      ? [`${w}/sub`, `${w}/sub_1`, `${w}/sub_2`]
      : [`${w}/sub_2`, `${w}/sub_1`, `${w}/sub`];
  g.op('ConcatV2', `${w}/concat`, [...parts, `${w}/concat/axis`], { T: a.type('float'), N: a.i(3) });
  g.const(`${w}/mul_2/y`, [], [opts.scalingFactor ?? 1]);
  g.op('Mul', `${w}/mul_2`, [`${w}/concat`, `${w}/mul_2/y`], f32);
  g.op('Enter', `${w}/TensorArrayWrite/TensorArrayWriteV3/Enter`, [`${s}/TensorArray_1`], {
    T: a.type('string'),
    frame_name: a.s(w),
    is_constant: a.b(true),
  });
  g.op(
    'TensorArrayWriteV3',
    `${w}/TensorArrayWrite/TensorArrayWriteV3`,
    [`${w}/TensorArrayWrite/TensorArrayWriteV3/Enter`, `${w}/Identity`, `${w}/mul_2`, `${w}/Identity_1`],
    { T: a.type('float') },
  );
  g.const(`${w}/add/y`, [], [1], 'int32');
  g.op('Add', `${w}/add`, [`${w}/Identity`, `${w}/add/y`], i32);
  g.op('NextIteration', `${w}/NextIteration`, [`${w}/add`], i32);
  g.op('NextIteration', `${w}/NextIteration_1`, [`${w}/TensorArrayWrite/TensorArrayWriteV3`], f32);
  g.op('Exit', `${w}/Exit_1`, [`${w}/Switch_1`], f32);

  // Gather the batch.
  g.op('TensorArraySizeV3', `${s}/TensorArrayStack/TensorArraySizeV3`, [`${s}/TensorArray_1`, `${w}/Exit_1`]);
  g.const(`${s}/TensorArrayStack/range/start`, [], [0], 'int32');
  g.const(`${s}/TensorArrayStack/range/delta`, [], [1], 'int32');
  g.op(
    'Range',
    `${s}/TensorArrayStack/range`,
    [
      `${s}/TensorArrayStack/range/start`,
      `${s}/TensorArrayStack/TensorArraySizeV3`,
      `${s}/TensorArrayStack/range/delta`,
    ],
    { Tidx: a.type('int32') },
  );
  return g.op(
    'TensorArrayGatherV3',
    `${s}/TensorArrayStack/TensorArrayGatherV3`,
    [`${s}/TensorArray_1`, `${s}/TensorArrayStack/range`, `${w}/Exit_1`],
    {
      dtype: a.type('float'),
      element_shape: a.shape([size, size, 3]),
    },
  );
}
