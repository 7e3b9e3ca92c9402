import assert from 'node:assert/strict';
import { ProtocolError, ProtocolErrorCode, SnugError, errorGuard } from '../../protocol/errors.js';

class SampleError extends SnugError<'ERR_A' | 'ERR_B'> {}
class SampleSubError extends SampleError {}
const isSampleError = errorGuard(SampleError);

describe('protocol/errors', () => {
  it('names an error after its class, a subclass after its own', () => {
    assert.equal(new SampleError('ERR_A', 'a').name, 'SampleError');
    assert.equal(new SampleSubError('ERR_B', 'b').name, 'SampleSubError');
    assert.equal(new SnugError('ERR_X', 'x').name, 'SnugError');
    assert.equal(new ProtocolError(ProtocolErrorCode.TRUNCATED, 't').name, 'ProtocolError');
  });

  it('makes a guard that tells an error of its class, and of one code, from anything else', () => {
    const a = new SampleError('ERR_A', 'a');
    assert.equal(isSampleError(a), true);
    assert.equal(isSampleError(a, 'ERR_A'), true);
    assert.equal(isSampleError(a, 'ERR_B'), false);
    assert.equal(isSampleError(new SampleSubError('ERR_B', 'b'), 'ERR_B'), true);
    assert.equal(isSampleError(new SnugError('ERR_A', 'a')), false);
    assert.equal(isSampleError({ code: 'ERR_A' }), false);
    assert.equal(isSampleError(undefined), false);
  });
});
