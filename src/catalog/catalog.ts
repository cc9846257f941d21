// The model families of the original service (seed-system.md §2.3) plus the real MobileNetV2: input size,
// preset, default tensor names, label set, and where `accel model add` downloads an ONNX file from.
// The family preset and tensor names describe the original service's TF graphs (what `model convert` takes);
// a download is a different model (ONNX Model Zoo, converted from MXNet or Caffe2) with its own preprocessing
// and tensor names, recorded on the download. Checksums and sizes are the ONNX Model Zoo's own: the Git LFS
// pointer at the URL's path on onnx/models main (checked against its ONNX_HUB_MANIFEST.json model_sha and
// model_bytes); MobileNetV2's is in ../shared/data/README.md. A download without a verified sha256 is refused.
import { AccelError } from '../domain/errors';
import { describePreset, PRESETS } from '../domain/presets';
import type { LabelSet, PreprocessingPreset, PresetName } from '../domain/types';
import { SAMPLE_MODEL } from './download';

export interface CatalogDownload {
  url: string;
  fileName: string;
  /** sha256 and byte size of the published file; sha256 null means unverified, so `model add` refuses it. */
  sha256: string | null;
  sizeBytes: number | null;
  /** What the file expects: a named preset, or name 'custom' (registered as preset 'none' plus these parameters). */
  preprocessing: PreprocessingPreset;
  inputTensor: string;
  outputTensors: string[];
}

export interface CatalogEntry {
  family: string;
  title: string;
  inputSize: [number, number];
  preset: PresetName;
  labels: LabelSet;
  /** Tensor names of the original service's TF graph (what `model convert` takes). */
  inputTensor: string;
  outputTensors: string[];
  download?: CatalogDownload;
}

const ZOO = 'https://github.com/onnx/models/raw/main/validated/vision/classification';
const SSD_OUTPUTS = [4, 7, 8, 9, 10, 11]
  .map((b) => `ssd_300_vgg/block${b}_box/Reshape_1:0`)
  .concat([4, 7, 8, 9, 10, 11].map((b) => `ssd_300_vgg/block${b}_box/Reshape:0`));

// MXNet ResNet v1 and VGG: RGB in [0,1], ImageNet mean/std, shortest side 256, centre crop 224
// (onnx/models validated/vision/classification/resnet/README.md "Preprocessing", vgg/README.md and the
// imagenet_preprocess.py it points to). The same numbers as the mobilenetv2 preset, under a neutral name.
const ZOO_IMAGENET: PreprocessingPreset = {
  name: 'custom',
  resizeShortestSide: 256,
  height: 224,
  width: 224,
  channelOrder: 'RGB',
  inputScale: 1 / 255,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  scalingFactor: 1,
};

// Caffe2 DenseNet-121: its onnx/models README leaves preprocessing empty; the Caffe2 original (the same
// densenet121 init/predict nets) is documented in openvinotoolkit/open_model_zoo
// models/public/densenet-121-caffe2 (densenet-121-caffe2.md, accuracy-check.yml): BGR, minus BGR means
// [103.94, 116.78, 123.68], divided by 58.8235294 (×0.017), shortest side 256, centre crop 224. Means here are
// per RGB channel.
const CAFFE2_DENSENET: PreprocessingPreset = {
  name: 'custom',
  resizeShortestSide: 256,
  height: 224,
  width: 224,
  channelOrder: 'BGR',
  inputScale: 1,
  mean: [123.68, 116.78, 103.94],
  std: [1, 1, 1],
  scalingFactor: 0.017,
};

export const CATALOG: Record<string, CatalogEntry> = {
  resnet50: {
    family: 'resnet50',
    title: 'ResNet-50 v1',
    inputSize: [224, 224],
    preset: 'resnet50',
    labels: 'imagenet-1000',
    inputTensor: 'Placeholder:0',
    outputTensors: ['classifier/resnet_v1_50/predictions/Softmax:0'],
    download: {
      url: `${ZOO}/resnet/model/resnet50-v1-7.onnx`,
      fileName: 'resnet50-v1-7.onnx',
      sha256: 'af16a04a6ec48ac494065d4439fe9dea590d337b9ca6dc328160ccf04a217b9c',
      sizeBytes: 102583340,
      preprocessing: ZOO_IMAGENET,
      inputTensor: 'data',
      outputTensors: ['resnetv17_dense0_fwd'],
    },
  },
  resnet152: {
    family: 'resnet152',
    title: 'ResNet-152 v1',
    inputSize: [224, 224],
    preset: 'resnet152',
    labels: 'imagenet-1000',
    inputTensor: 'Placeholder:0',
    outputTensors: ['classifier/resnet_v1_152/predictions/Softmax:0'],
    download: {
      url: `${ZOO}/resnet/model/resnet152-v1-7.onnx`,
      fileName: 'resnet152-v1-7.onnx',
      sha256: 'b0ec92437bf8c9d0739bf9bafdea9638e13f9e3c1e2fb766ad546cc182fd3f6d',
      sizeBytes: 241816206,
      preprocessing: ZOO_IMAGENET,
      inputTensor: 'data',
      outputTensors: ['resnetv19_dense0_fwd'],
    },
  },
  densenet121: {
    family: 'densenet121',
    title: 'DenseNet-121',
    inputSize: [224, 224],
    preset: 'densenet121',
    labels: 'imagenet-1000',
    inputTensor: 'Placeholder:0',
    outputTensors: ['classifier/densenet121/predictions/Softmax:0'],
    download: {
      url: `${ZOO}/densenet-121/model/densenet-12.onnx`,
      fileName: 'densenet-12.onnx',
      sha256: '0294e7e88e5b3360de9b0fdc321baf9e6ef18b7f058c4536caae3b9f18ed9ed5',
      sizeBytes: 32726877,
      preprocessing: CAFFE2_DENSENET,
      inputTensor: 'data_0',
      outputTensors: ['fc6_1'],
    },
  },
  vgg16: {
    family: 'vgg16',
    title: 'VGG-16',
    inputSize: [224, 224],
    preset: 'vgg16',
    labels: 'imagenet-1000',
    inputTensor: 'Placeholder:0',
    outputTensors: ['classifier/vgg_16/fc8/squeezed:0'],
    download: {
      url: `${ZOO}/vgg/model/vgg16-7.onnx`,
      fileName: 'vgg16-7.onnx',
      sha256: 'f20805a3ecccaa88647bbab4ad011ff2412a9838485ea844de0fcbce349820b9',
      sizeBytes: 553437328,
      preprocessing: ZOO_IMAGENET,
      inputTensor: 'data',
      outputTensors: ['vgg0_dense2_fwd'],
    },
  },
  ssdvgg: {
    family: 'ssdvgg',
    title: 'SSD-VGG-300 (PASCAL VOC)',
    inputSize: [300, 300],
    preset: 'ssdvgg',
    labels: 'voc-21',
    inputTensor: 'Placeholder:0',
    outputTensors: SSD_OUTPUTS,
  },
  mobilenetv2: {
    family: 'mobilenetv2',
    title: 'MobileNetV2 1.0 int8 (ONNX Model Zoo)',
    inputSize: [224, 224],
    preset: 'mobilenetv2',
    labels: 'imagenet-1000',
    inputTensor: 'input',
    outputTensors: ['output'],
    download: {
      url: SAMPLE_MODEL.url,
      fileName: SAMPLE_MODEL.fileName,
      sha256: SAMPLE_MODEL.sha256,
      sizeBytes: 3655033,
      preprocessing: PRESETS.mobilenetv2,
      inputTensor: 'input',
      outputTensors: ['output'],
    },
  },
};

export function catalogEntry(family: string): CatalogEntry {
  const e = CATALOG[family];
  if (!e)
    throw new AccelError(
      'InvalidArgument',
      `Unknown model family "${family}". Use one of: ${Object.keys(CATALOG).join(', ')}.`,
    );
  return e;
}

/** The entry's download with its verified sha256, or the error that says why `model add` will not fetch it. */
export function verifiedDownload(e: CatalogEntry): CatalogDownload & { sha256: string } {
  const d = e.download;
  if (!d) {
    throw new AccelError(
      'NotFound',
      `${e.title} has no public ONNX file to download. Register your own frozen graph with \`accel model register <file.pb> --name ${e.family}\` and convert it with --input ${e.inputTensor} --output ${e.outputTensors.join(',')}.`,
    );
  }
  const { sha256 } = d;
  if (!sha256) {
    const p = d.preprocessing;
    const register = `accel model register ${d.fileName} --name ${e.family}${p.name === 'custom' ? '' : ` --preset ${p.name}`}`;
    throw new AccelError(
      'InvalidArgument',
      `The catalog has no verified sha256 for ${d.fileName} (${d.url}), so it will not download it unchecked. Download it yourself, check it, and run \`${register}\` (the file expects ${describePreset(p)}).`,
    );
  }
  return { ...d, sha256 };
}

/** Preset fields for registerModel: a named preset as is, custom parameters under preset 'none' (Model.preprocessing). */
export function downloadPreset(d: CatalogDownload): { preset: PresetName; preprocessing?: PreprocessingPreset } {
  const p = d.preprocessing;
  return p.name === 'custom' ? { preset: 'none', preprocessing: p } : { preset: p.name };
}
