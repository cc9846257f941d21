import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAccelError } from '../../../src/domain/errors';
import { parseKeyValues, parseVersionedRef, validateName } from '../../../src/domain/names';

describe('names', () => {
  it('accepts good names and converted model names with dots', () => {
    for (const n of ['mobilenet', 'resnet50-cd-tl.1.accelonnx', 'a', 'm_1']) assert.equal(validateName('model', n), n);
    assert.equal(validateName('workspace', 'my-ws_1'), 'my-ws_1');
    assert.equal(validateName('service', 'svc-1'), 'svc-1');
  });

  it('rejects bad names with the allowed pattern in the message', () => {
    const cases: [Parameters<typeof validateName>[0], string, RegExp][] = [
      ['model', 'Mobile Net', /lowercase letters, digits, "\.", "-" or "_"/],
      ['model', 'a:b', /not a valid model name/],
      ['model', '', /not a valid model name/],
      ['workspace', '../x', /not a valid workspace name/],
      ['workspace', 'a.b', /lowercase letters, digits, "-" or "_"/],
      ['service', '1svc', /starting with a letter/],
      ['service', 'ab', /3-32/],
    ];
    for (const [kind, name, re] of cases) {
      assert.throws(
        () => validateName(kind, name),
        (e) => isAccelError(e, 'InvalidArgument') && re.test(e.message) && e.message.includes(JSON.stringify(name)),
        `${kind} ${name}`,
      );
    }
  });

  it('parses key=value lists and name:version references', () => {
    assert.deepEqual(parseKeyValues(['stage=prod', 'flag', 'eq=a=b']), { stage: 'prod', flag: '', eq: 'a=b' });
    assert.throws(
      () => parseKeyValues(['bad key=1']),
      (e) => isAccelError(e, 'InvalidArgument') && /key=value/.test(e.message),
    );
    assert.throws(
      () => parseKeyValues(['k=line\nbreak']),
      (e) => isAccelError(e, 'InvalidArgument') && /control characters/.test(e.message),
    );
    assert.deepEqual(parseVersionedRef('mobilenet:2', 'model'), { name: 'mobilenet', version: 2 });
    assert.deepEqual(parseVersionedRef('mobilenet', 'model'), { name: 'mobilenet', version: undefined });
    assert.throws(
      () => parseVersionedRef('m:0', 'model'),
      (e) => isAccelError(e, 'InvalidArgument') && /<name>:<version>/.test(e.message),
    );
    assert.throws(
      () => parseVersionedRef('m:x', 'model'),
      (e) => isAccelError(e, 'InvalidArgument'),
    );
  });
});
