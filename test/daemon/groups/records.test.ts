import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../protocol/bytes.js';
import { blobRecordCodec, entryRecordCodec, groupRecordCodec, noticeRecordCodec, peerInviteRecordCodec } from '../../../daemon/groups/records.js';
import { GroupErrorCode, isGroupError } from '../../../daemon/groups/errors.js';
import type { RecordCodec } from '../../../daemon/store/store.js';
import { readVectors } from '../../helpers/vectors.js';
import { SAMPLE_RECORDS } from './record-samples.js';

interface Vectors {
  readonly group: Array<{ encoding: string }>;
  readonly entry: Array<{ encoding: string }>;
  readonly blob: Array<{ encoding: string }>;
  readonly notice: Array<{ encoding: string }>;
  readonly invite: Array<{ encoding: string }>;
}

const CODECS = { group: groupRecordCodec, entry: entryRecordCodec, blob: blobRecordCodec, notice: noticeRecordCodec, invite: peerInviteRecordCodec } as const;

describe('daemon/groups records', () => {
  const v = readVectors<Vectors>('group-records');

  for (const kind of Object.keys(CODECS) as Array<keyof typeof CODECS>) {
    it(`encode each ${kind} record to its committed bytes and decode the bytes back`, () => {
      const codec = CODECS[kind] as RecordCodec<unknown>;
      const samples = SAMPLE_RECORDS[kind];
      assert.equal(v[kind].length, samples.length);
      samples.forEach((s, i) => {
        assert.equal(toHex(codec.encode(s.value)), v[kind][i]!.encoding);
        assert.deepEqual(codec.decode(fromHex(v[kind][i]!.encoding)), s.value);
      });
    });
  }

  it('refuses another version, trailing bytes and unknown flags with ERR_GROUP_RECORD_INVALID or a decode error', () => {
    const g = fromHex(v.group[0]!.encoding);
    const other = g.slice();
    other[0] = 2;
    assert.throws(() => groupRecordCodec.decode(other), (e: unknown) => isGroupError(e, GroupErrorCode.RECORD_INVALID));
    const flags = g.slice();
    flags[33] = 0x80;
    assert.throws(() => groupRecordCodec.decode(flags), (e: unknown) => isGroupError(e, GroupErrorCode.RECORD_INVALID));
    assert.throws(() => groupRecordCodec.decode(Uint8Array.of(...g, 0)));
    assert.throws(() => entryRecordCodec.decode(fromHex(v.entry[0]!.encoding).subarray(0, 10)));
    assert.throws(() => noticeRecordCodec.decode(Uint8Array.of(1, 2)), (e: unknown) => isGroupError(e, GroupErrorCode.RECORD_INVALID));
  });
});
