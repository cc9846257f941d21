// The model families of the original service (seed-system.md §2.3) plus the real MobileNetV2: input size,
// preset, default tensor names, label set, and where `accel model add` downloads an ONNX file from.
// Checksums are only recorded where verified (the MobileNetV2 int8 file: ../shared/data/README.md);
// downloads without a verified sha256 are refused rather than trusted.
import { AccelError } from '../core/errors';
import { registerModel } from '../core/models';
import type { ProgressReporter, WorkspaceStore } from '../core/ports';
import type { LabelSet, Model, PresetName } from '../core/types';
import { downloadModel, SAMPLE_MODEL } from './download';

export interface CatalogEntry {
  family: string;
  title: string;
  inputSize: [number, number];
  preset: PresetName;
  labels: LabelSet;
  /** Tensor names of the original service's TF graph (what `model convert` takes). */
  inputTensor: string;
  outputTensors: string[];
  download?: { url: string; fileName: string; sha256: string | null };
}

const ZOO = 'https://github.com/onnx/models/raw/main/validated/vision';
const SSD_OUTPUTS = [4, 7, 8, 9, 10, 11].map((b) => `ssd_300_vgg/block${b}_box/Reshape_1:0`).concat([4, 7, 8, 9, 10, 11].map((b) => `ssd_300_vgg/block${b}_box/Reshape:0`));

export const CATALOG: Record<string, CatalogEntry> = {
  resnet50: {
    family: 'resnet50', title: 'ResNet-50 v1', inputSize: [224, 224], preset: 'resnet50', labels: 'imagenet-1000',
    inputTensor: 'Placeholder:0', outputTensors: ['classifier/resnet_v1_50/predictions/Softmax:0'],
    download: { url: `${ZOO}/classification/resnet/model/resnet50-v1-7.onnx`, fileName: 'resnet50-v1-7.onnx', sha256: null },
  },
  resnet152: {
    family: 'resnet152', title: 'ResNet-152 v1', inputSize: [224, 224], preset: 'resnet152', labels: 'imagenet-1000',
    inputTensor: 'Placeholder:0', outputTensors: ['classifier/resnet_v1_152/predictions/Softmax:0'],
    download: { url: `${ZOO}/classification/resnet/model/resnet152-v1-7.onnx`, fileName: 'resnet152-v1-7.onnx', sha256: null },
  },
  densenet121: {
    family: 'densenet121', title: 'DenseNet-121', inputSize: [224, 224], preset: 'densenet121', labels: 'imagenet-1000',
    inputTensor: 'Placeholder:0', outputTensors: ['classifier/densenet121/predictions/Softmax:0'],
    download: { url: `${ZOO}/classification/densenet-121/model/densenet-12.onnx`, fileName: 'densenet-12.onnx', sha256: null },
  },
  vgg16: {
    family: 'vgg16', title: 'VGG-16', inputSize: [224, 224], preset: 'vgg16', labels: 'imagenet-1000',
    inputTensor: 'Placeholder:0', outputTensors: ['classifier/vgg_16/fc8/squeezed:0'],
    download: { url: `${ZOO}/classification/vgg/model/vgg16-7.onnx`, fileName: 'vgg16-7.onnx', sha256: null },
  },
  ssdvgg: {
    family: 'ssdvgg', title: 'SSD-VGG-300 (PASCAL VOC)', inputSize: [300, 300], preset: 'ssdvgg', labels: 'voc-21',
    inputTensor: 'Placeholder:0', outputTensors: SSD_OUTPUTS,
  },
  mobilenetv2: {
    family: 'mobilenetv2', title: 'MobileNetV2 1.0 int8 (ONNX Model Zoo)', inputSize: [224, 224], preset: 'mobilenetv2', labels: 'imagenet-1000',
    inputTensor: 'input', outputTensors: ['output'],
    download: { url: SAMPLE_MODEL.url, fileName: SAMPLE_MODEL.fileName, sha256: SAMPLE_MODEL.sha256 },
  },
};

export function catalogEntry(family: string): CatalogEntry {
  const e = CATALOG[family];
  if (!e) throw new AccelError('InvalidArgument', `Unknown model family "${family}". Use one of: ${Object.keys(CATALOG).join(', ')}.`);
  return e;
}

/** Downloads (verified) and registers a catalog model. */
export async function addCatalogModel(store: WorkspaceStore, ws: string, family: string, opts: { name?: string; progress?: ProgressReporter; mirror?: string } = {}): Promise<Model> {
  const e = catalogEntry(family);
  if (!e.download) {
    throw new AccelError('NotFound', `${e.title} has no public ONNX file to download. Register your own frozen graph with \`accel model register <file.pb> --name ${family}\` and convert it with --input ${e.inputTensor} --output ${e.outputTensors.join(',')}.`);
  }
  const { url, fileName, sha256 } = e.download;
  if (!sha256) {
    throw new AccelError('InvalidArgument', `The catalog has no verified sha256 for ${fileName} (${url}), so it will not download it unchecked. Download it yourself, check it, and run \`accel model register ${fileName} --name ${family} --preset ${e.preset}\`.`);
  }
  await store.read(ws);
  const file = await downloadModel({ url, fileName, sha256 }, { home: store.home, progress: opts.progress, mirror: opts.mirror });
  return registerModel(store, ws, { path: file, name: opts.name ?? family, preset: e.preset, labels: e.labels, tags: { catalog: family } });
}
