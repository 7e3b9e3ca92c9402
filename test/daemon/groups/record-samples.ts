/** Fixed sample records of daemon/groups/records.ts, for the committed vectors and their test. */
import { fromHex } from '../../../protocol/bytes.js';
import type { EntryRecord, GroupRecord, NoticeRecord, PeerInviteRecord } from '../../../daemon/groups/records.js';

const h = (byte: number, n = 32) => new Uint8Array(n).fill(byte);

export const SAMPLE_RECORDS = {
  group: [
    {
      json: { description: 'a founder\'s group in epoch 0, nothing read' },
      value: { groupId: h(0x11), gone: false, created: 1_767_225_600_000, genesis: fromHex('02010000'), ownSeq: 1, ownLast: h(0x11), lastRead: h(0), epochs: [{ number: 0, opener: h(0x11), secret: h(0x22) }] } satisfies GroupRecord,
    },
    {
      json: { description: 'a joiner removed after a re-key, two epochs held' },
      value: { groupId: h(0x33), gone: true, created: 5, genesis: h(0x44, 5), ownSeq: 0, ownLast: h(0), lastRead: h(0x55), epochs: [{ number: 0, opener: h(0x33), secret: h(0x66) }, { number: 1, opener: h(0x77), secret: h(0x88) }] } satisfies GroupRecord,
    },
  ],
  entry: [
    { json: { description: 'ours, accepted by two pubs' }, value: { own: true, arrival: 1_767_225_600_000, pubs: ['ws://127.0.0.1:9000', 'aaaa.onion'], entry: h(0x99, 8) } satisfies EntryRecord },
    { json: { description: 'theirs, seen on no pub yet' }, value: { own: false, arrival: 0, pubs: [], entry: h(0xaa, 3) } satisfies EntryRecord },
  ],
  blob: [{ json: { description: 'a (short) blob' }, value: h(0x02, 6) }],
  notice: [{ json: { description: 'a pub pruned blobs 7..41' }, value: { kind: 'pruned', ts: 1_767_225_600_123, pub: 'ws://127.0.0.1:9000', start: 42n, head: 100n } satisfies NoticeRecord }],
  invite: [{ json: { description: 'an invite from a contact' }, value: { peer: h(0xbb), at: 1_767_225_600_000, invite: h(0xcc, 10) } satisfies PeerInviteRecord }],
} as const;
