// The Training Result panel's pure drawing helpers: the heat of a confusion cell and the loss curve's points.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { curvePoints, heatShare } from '../../../webview/trainingView';

describe('training result drawing', () => {
  it('colours a confusion cell by its share of the true class, 0 for an empty class', () => {
    assert.equal(heatShare(3, 4), 0.75);
    assert.equal(heatShare(0, 4), 0);
    assert.equal(heatShare(0, 0), 0);
    assert.equal(heatShare(5, 4), 1);
  });

  it('draws the loss curve from the top-left down, clipped to the axis', () => {
    assert.equal(curvePoints([1, 0.5, 0], 100, 50, 1), '0.0,0.0 50.0,25.0 100.0,50.0');
    assert.equal(curvePoints([2], 100, 50, 1), '0.0,0.0');
    assert.equal(curvePoints([], 100, 50, 1), '');
  });
});
