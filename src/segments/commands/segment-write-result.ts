/** What a segment write answers: the segment and the log position to wait for before reading. */
export interface SegmentWriteResult {
  readonly segmentId: string;
  readonly position: bigint | undefined;
}
