/**
 * Writes test/vectors/group-records.json: the groups service's stored records
 * (daemon/groups/records.ts) from fixed fields. Run by hand after a deliberate format change:
 *   npx tsc -p tsconfig.json && node dist/test/vectors/generate-group-records.js
 */
import { toHex } from '../../protocol/bytes.js';
import { blobRecordCodec, entryRecordCodec, groupRecordCodec, noticeRecordCodec, peerInviteRecordCodec } from '../../daemon/groups/records.js';
import { writeVectors } from '../helpers/vectors.js';
import { SAMPLE_RECORDS } from '../daemon/groups/record-samples.js';

writeVectors('group-records', {
  description: 'groups service records (daemon/groups/records.ts): fields -> encoding',
  group: SAMPLE_RECORDS.group.map((r) => ({ ...r.json, encoding: toHex(groupRecordCodec.encode(r.value)) })),
  entry: SAMPLE_RECORDS.entry.map((r) => ({ ...r.json, encoding: toHex(entryRecordCodec.encode(r.value)) })),
  blob: SAMPLE_RECORDS.blob.map((r) => ({ ...r.json, encoding: toHex(blobRecordCodec.encode(r.value)) })),
  notice: SAMPLE_RECORDS.notice.map((r) => ({ ...r.json, encoding: toHex(noticeRecordCodec.encode(r.value)) })),
  invite: SAMPLE_RECORDS.invite.map((r) => ({ ...r.json, encoding: toHex(peerInviteRecordCodec.encode(r.value)) })),
});
