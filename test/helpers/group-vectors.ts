/**
 * JSON shapes of the group-format vectors (test/vectors/{summary,checkpoint,key-package,
 * group-invite,roster}.json), written by test/vectors/generate-groups.ts and read by the tests
 * of protocol/{summary,checkpoint,key-package,invite,roster}.ts. Bytes are lowercase hex.
 */

export interface SummaryEntryJson {
  author: string;
  seq: number;
  prev: string;
  id: string;
}

export interface SummaryRecordJson {
  author: string;
  seq: number;
  id: string;
}

export interface SeqRangeJson {
  author: string;
  from: number;
  to: number;
}

export interface SummaryVector {
  description: string;
  groupId: string;
  /** The held entries, in the order given to computeSummary. */
  entries: SummaryEntryJson[];
  records: SummaryRecordJson[];
  encoding: string;
}

export interface SummaryDiffVector {
  description: string;
  mine: string;
  theirs: string;
  iMiss: SeqRangeJson[];
  theyMiss: SeqRangeJson[];
  forked: string[];
}

export interface SummaryVectors {
  description: string;
  summaries: SummaryVector[];
  diffs: SummaryDiffVector[];
}
