// Catalog downloads: every one is checksum-verified or refused, and each registers the preprocessing its
// file's documentation gives. Expected values are written here from the sources, not read from the catalog:
// - checksums/sizes: the Git LFS pointers on onnx/models main (validated/vision/classification/...), equal to
//   ONNX_HUB_MANIFEST.json's model_sha/model_bytes; MobileNetV2: ../shared/data/README.md;
// - tensor names: ONNX_HUB_MANIFEST.json io_ports (DenseNet also in its README "Model input and output");
// - preprocessing: onnx/models resnet/README.md and vgg/README.md (+ imagenet_preprocess.py), and for the
//   Caffe2 DenseNet-121 openvinotoolkit/open_model_zoo models/public/densenet-121-caffe2.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CATALOG,
  catalogEntry,
  downloadPreset,
  verifiedDownload,
  type CatalogEntry,
} from '../../../src/catalog/catalog';
import { isAccelError } from '../../../src/domain/errors';
import { PRESETS, presetOf } from '../../../src/domain/presets';
import type { PreprocessingPreset } from '../../../src/domain/types';

type Rgb = [number, number, number];

/** What the file's documentation says the network gets for one RGB pixel, in the network's channel order. */
const resnetReadme = (p: Rgb): number[] => {
  // "normalized with mean = 255*[0.485, 0.456, 0.406] and std = 255*[0.229, 0.224, 0.225]", RGB, 0..255 pixels
  const mean = [0.485, 0.456, 0.406].map((m) => 255 * m);
  const std = [0.229, 0.224, 0.225].map((s) => 255 * s);
  return p.map((v, c) => (v - mean[c]) / std[c]);
};
const vggReadme = (p: Rgb): number[] => {
  // "loaded in to a range of [0, 1] and then normalized using mean = [0.485, 0.456, 0.406] and std = [0.229, 0.224, 0.225]"
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  return p.map((v, c) => (v / 255 - mean[c]) / std[c]);
};
const caffe2DenseNet = (p: Rgb): number[] => {
  // BGR order, "subtract BGR mean values [103.94, 116.78, 123.68]", scale 0.017 (= divide by 58.8235294)
  const bgr = [p[2], p[1], p[0]];
  const mean = [103.94, 116.78, 123.68];
  return bgr.map((v, c) => (v - mean[c]) * 0.017);
};

interface Expected {
  fileName: string;
  sha256: string;
  sizeBytes: number;
  inputTensor: string;
  outputTensors: string[];
  channelOrder: 'RGB' | 'BGR';
  network: (p: Rgb) => number[];
}

const ZOO = 'https://github.com/onnx/models/raw/main/validated/vision/classification';
const EXPECTED: Record<string, Expected & { url: string }> = {
  resnet50: {
    url: `${ZOO}/resnet/model/resnet50-v1-7.onnx`,
    fileName: 'resnet50-v1-7.onnx',
    sha256: 'af16a04a6ec48ac494065d4439fe9dea590d337b9ca6dc328160ccf04a217b9c',
    sizeBytes: 102583340,
    inputTensor: 'data',
    outputTensors: ['resnetv17_dense0_fwd'],
    channelOrder: 'RGB',
    network: resnetReadme,
  },
  resnet152: {
    url: `${ZOO}/resnet/model/resnet152-v1-7.onnx`,
    fileName: 'resnet152-v1-7.onnx',
    sha256: 'b0ec92437bf8c9d0739bf9bafdea9638e13f9e3c1e2fb766ad546cc182fd3f6d',
    sizeBytes: 241816206,
    inputTensor: 'data',
    outputTensors: ['resnetv19_dense0_fwd'],
    channelOrder: 'RGB',
    network: resnetReadme,
  },
  densenet121: {
    url: `${ZOO}/densenet-121/model/densenet-12.onnx`,
    fileName: 'densenet-12.onnx',
    sha256: '0294e7e88e5b3360de9b0fdc321baf9e6ef18b7f058c4536caae3b9f18ed9ed5',
    sizeBytes: 32726877,
    inputTensor: 'data_0',
    outputTensors: ['fc6_1'],
    channelOrder: 'BGR',
    network: caffe2DenseNet,
  },
  vgg16: {
    url: `${ZOO}/vgg/model/vgg16-7.onnx`,
    fileName: 'vgg16-7.onnx',
    sha256: 'f20805a3ecccaa88647bbab4ad011ff2412a9838485ea844de0fcbce349820b9',
    sizeBytes: 553437328,
    inputTensor: 'data',
    outputTensors: ['vgg0_dense2_fwd'],
    channelOrder: 'RGB',
    network: vggReadme,
  },
  mobilenetv2: {
    url: `${ZOO}/mobilenet/model/mobilenetv2-12-int8.onnx`,
    fileName: 'mobilenetv2-12-int8.onnx',
    sha256: 'cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f',
    sizeBytes: 3655033,
    // ../shared/data/README.md: RGB, /255, ImageNet mean/std (the same arithmetic as the VGG README)
    inputTensor: 'input',
    outputTensors: ['output'],
    channelOrder: 'RGB',
    network: vggReadme,
  },
};

/** The documented meaning of a preset (types.ts): ((pixel × inputScale) − mean[c]) / std[c] × scalingFactor, c in RGB. */
function applyPreset(p: PreprocessingPreset, px: Rgb): number[] {
  const order = p.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  return order.map((c) => ((px[c] * p.inputScale - p.mean[c]) / p.std[c]) * p.scalingFactor);
}

const PIXELS: Rgb[] = [
  [0, 0, 0],
  [255, 255, 255],
  [255, 0, 0],
  [0, 128, 255],
  [17, 200, 93],
];

function assertSameNetworkInput(p: PreprocessingPreset, expected: (px: Rgb) => number[], what: string): void {
  for (const px of PIXELS) {
    const got = applyPreset(p, px);
    const want = expected(px);
    got.forEach((g, k) =>
      assert.ok(Math.abs(g - want[k]) < 1e-9, `${what}: pixel ${px} channel ${k}: ${g} vs documented ${want[k]}`),
    );
  }
}

describe('catalog downloads', () => {
  it('every download has a verified 64-hex sha256 and size, or is refused with what to do instead', () => {
    for (const e of Object.values(CATALOG)) {
      if (!e.download) continue;
      if (e.download.sha256 === null) {
        assert.throws(
          () => verifiedDownload(e),
          (err) => isAccelError(err, 'InvalidArgument') && /no verified sha256/.test(err.message),
          e.family,
        );
        continue;
      }
      assert.match(e.download.sha256, /^[0-9a-f]{64}$/, e.family);
      assert.ok(Number.isInteger(e.download.sizeBytes) && e.download.sizeBytes! > 0, `${e.family} size`);
      assert.equal(verifiedDownload(e).sha256, e.download.sha256);
    }
  });

  it('each download points at the documented file with its published checksum, size and tensor names', () => {
    const withDownload = Object.values(CATALOG)
      .filter((e) => e.download)
      .map((e) => e.family)
      .sort();
    assert.deepEqual(withDownload, Object.keys(EXPECTED).sort());
    for (const [family, want] of Object.entries(EXPECTED)) {
      const d = catalogEntry(family).download!;
      assert.deepEqual(
        {
          url: d.url,
          fileName: d.fileName,
          sha256: d.sha256,
          sizeBytes: d.sizeBytes,
          inputTensor: d.inputTensor,
          outputTensors: d.outputTensors,
        },
        {
          url: want.url,
          fileName: want.fileName,
          sha256: want.sha256,
          sizeBytes: want.sizeBytes,
          inputTensor: want.inputTensor,
          outputTensors: want.outputTensors,
        },
        family,
      );
    }
  });

  it("each download's preprocessing is what its documentation says: shortest side 256, centre crop 224, channel order and normalisation", () => {
    for (const [family, want] of Object.entries(EXPECTED)) {
      const p = catalogEntry(family).download!.preprocessing;
      assert.deepEqual(
        [p.resizeShortestSide, p.height, p.width, p.channelOrder],
        [256, 224, 224, want.channelOrder],
        family,
      );
      assertSameNetworkInput(p, want.network, family);
    }
  });

  it("the model zoo files do not take the TF family presets, which stay the families' defaults for converting TF graphs", () => {
    for (const family of ['resnet50', 'resnet152', 'densenet121', 'vgg16']) {
      const e = catalogEntry(family);
      assert.equal(e.preset, family);
      assert.equal(e.inputTensor, 'Placeholder:0');
      const tf = applyPreset(PRESETS[e.preset], [17, 200, 93]);
      const zoo = EXPECTED[family].network([17, 200, 93]);
      assert.ok(
        tf.some((v, k) => Math.abs(v - zoo[k]) > 0.01),
        `${family}: the TF preset would feed the ONNX file the wrong input`,
      );
    }
  });

  it('registration fields: custom parameters go in as preset none plus preprocessing, a named preset as itself', () => {
    const dense = catalogEntry('densenet121').download!;
    const reg = downloadPreset(dense);
    assert.equal(reg.preset, 'none');
    assert.deepEqual(presetOf(reg), dense.preprocessing);
    assert.equal(reg.preprocessing?.name, 'custom');
    assert.deepEqual(downloadPreset(catalogEntry('mobilenetv2').download!), { preset: 'mobilenetv2' });
  });

  it('an unverified download is refused with the register command and the preprocessing the file needs', () => {
    const unverified: CatalogEntry = {
      ...catalogEntry('densenet121'),
      download: { ...catalogEntry('densenet121').download!, sha256: null },
    };
    assert.throws(
      () => verifiedDownload(unverified),
      (err) =>
        isAccelError(err, 'InvalidArgument') &&
        err.message ===
          'The catalog has no verified sha256 for densenet-12.onnx (https://github.com/onnx/models/raw/main/validated/vision/classification/densenet-121/model/densenet-12.onnx), so it will not download it unchecked. ' +
            'Download it yourself, check it, and run `accel model register densenet-12.onnx --name densenet121` (the file expects custom: shortest side 256, crop 224x224, BGR, ×1, mean 123.68,116.78,103.94, std 1,1,1, ×0.017).',
    );
    const named: CatalogEntry = {
      ...catalogEntry('mobilenetv2'),
      download: { ...catalogEntry('mobilenetv2').download!, sha256: null },
    };
    assert.throws(
      () => verifiedDownload(named),
      /run `accel model register mobilenetv2-12-int8\.onnx --name mobilenetv2 --preset mobilenetv2` \(the file expects mobilenetv2: /,
    );
    assert.throws(
      () => verifiedDownload(catalogEntry('ssdvgg')),
      (err) => isAccelError(err, 'NotFound'),
    );
  });
});
