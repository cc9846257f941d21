// Every TF op type the converter understands → its handler. An op missing here fails the conversion
// with the op's name, type and node path.
import type { TfNode } from '../tfGraph';
import type { TfConverter } from '../tfToOnnx';
import { CONV_HANDLERS } from './conv';
import { ELEMENTWISE_HANDLERS } from './elementwise';
import { POOL_HANDLERS } from './pool';
import { SHAPE_HANDLERS } from './shape';

export const OP_HANDLERS: Record<string, (cx: TfConverter, node: TfNode) => void> = {
  ...CONV_HANDLERS,
  ...ELEMENTWISE_HANDLERS,
  ...POOL_HANDLERS,
  ...SHAPE_HANDLERS,
};

export const SUPPORTED_TF_OPS = Object.keys(OP_HANDLERS).sort();
