// Preprocessing presets, named for the model families. Parameters: seed-system.md §2 (the original
// service's preprocess_array) and, for MobileNetV2, the ONNX Model Zoo README (../shared/data/README.md).
import { AccelError } from './errors';
import type { LabelSet, PreprocessingPreset, PresetName } from './types';

const TF_MEANS: [number, number, number] = [123.68, 116.779, 103.939];
const UNIT_STD: [number, number, number] = [1, 1, 1];

function imagenetTf(name: PresetName, scalingFactor = 1): PreprocessingPreset {
  return {
    name,
    resizeShortestSide: 256,
    height: 224,
    width: 224,
    channelOrder: 'RGB',
    inputScale: 1,
    mean: TF_MEANS,
    std: UNIT_STD,
    scalingFactor,
  };
}

export const PRESETS: Record<PresetName, PreprocessingPreset> = {
  resnet50: imagenetTf('resnet50'),
  resnet152: imagenetTf('resnet152'),
  densenet121: imagenetTf('densenet121', 0.017),
  vgg16: imagenetTf('vgg16'),
  // SSD-VGG: a plain 300×300 resize that does not keep the aspect ratio.
  ssdvgg: {
    name: 'ssdvgg',
    resizeShortestSide: null,
    height: 300,
    width: 300,
    channelOrder: 'RGB',
    inputScale: 1,
    mean: TF_MEANS,
    std: UNIT_STD,
    scalingFactor: 1,
  },
  mobilenetv2: {
    name: 'mobilenetv2',
    resizeShortestSide: 256,
    height: 224,
    width: 224,
    channelOrder: 'RGB',
    inputScale: 1 / 255,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
    scalingFactor: 1,
  },
  // No server-side image decoding: the service accepts only numeric tensors.
  none: {
    name: 'none',
    resizeShortestSide: null,
    height: 0,
    width: 0,
    channelOrder: 'RGB',
    inputScale: 1,
    mean: [0, 0, 0],
    std: UNIT_STD,
    scalingFactor: 1,
  },
};

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** The label set each family's classifier head produces. */
export const PRESET_LABELS: Record<PresetName, LabelSet> = {
  resnet50: 'imagenet-1000',
  resnet152: 'imagenet-1000',
  densenet121: 'imagenet-1000',
  vgg16: 'imagenet-1000',
  ssdvgg: 'voc-21',
  mobilenetv2: 'imagenet-1000',
  none: 'none',
};

/**
 * The preprocessing a model runs — its custom parameters, else its named preset. Works on anything that carries
 * a model's preset fields (Model, an image's runtime manifest, a served model).
 */
export function presetOf(model: { preset: string; preprocessing?: PreprocessingPreset }): PreprocessingPreset {
  return model.preprocessing ?? presetByName(model.preset);
}

/** One line for display, e.g. "custom: shortest side 256, crop 224x224, BGR, ×1, mean 1,2,3, std 1,1,1, ×0.5". */
/** The short name to show for a model's preprocessing: its preset, or "custom" when it carries its own parameters. */
export function presetLabel(model: { preset: PresetName; preprocessing?: PreprocessingPreset }): string {
  return model.preprocessing ? 'custom' : model.preset;
}

export function describePreset(p: PreprocessingPreset): string {
  const size =
    p.resizeShortestSide === null
      ? `resize ${p.height}x${p.width}`
      : `shortest side ${p.resizeShortestSide}, crop ${p.height}x${p.width}`;
  return `${p.name}: ${size}, ${p.channelOrder}, ×${p.inputScale}, mean ${p.mean.join(',')}, std ${p.std.join(',')}, ×${p.scalingFactor}`;
}

export function presetByName(name: string): PreprocessingPreset {
  const preset = (PRESETS as Record<string, PreprocessingPreset>)[name];
  if (!preset) {
    throw new AccelError(
      'InvalidArgument',
      `Unknown preprocessing preset "${name}". Use one of: ${PRESET_NAMES.join(', ')}.`,
    );
  }
  return preset;
}
