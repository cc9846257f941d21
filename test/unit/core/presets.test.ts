import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PRESETS, describePreset, presetLabel, presetOf } from '../../../src/domain/presets';
import type { PreprocessingPreset } from '../../../src/domain/types';

describe('preset display', () => {
  const custom: PreprocessingPreset = { ...PRESETS.resnet50, name: 'custom', channelOrder: 'BGR', scalingFactor: 0.5 };

  it('names the preset, or "custom" when the model carries its own parameters', () => {
    assert.equal(presetLabel({ preset: 'mobilenetv2' }), 'mobilenetv2');
    assert.equal(presetLabel({ preset: 'none', preprocessing: custom }), 'custom');
  });

  it('resolves and describes the parameters a service will apply', () => {
    assert.equal(presetOf({ preset: 'none', preprocessing: custom }), custom);
    assert.equal(
      describePreset(custom),
      'custom: shortest side 256, crop 224x224, BGR, ×1, mean 123.68,116.779,103.939, std 1,1,1, ×0.5',
    );
  });
});
