import type { RowBefore } from './rowVerdict.js';

/** One packet to notify: what the securezone endpoint needs to find and route it. */
export interface Packet {
  rid: string;
  process: string;
  workflowInstanceId: string;
  /** registration.iteration; MOSIP's stage throws without it, so it is always sent (default 1). */
  iteration: number;
  /** registration.source; NULL on rows migrated from 1.1.5, and then not sent. */
  source: string | null;
  /** Where the packet came from, for messages: "db", "file.txt:12", "--registration". */
  origin: string;
  /** latest_trn_type_code when selected (--db): the stage it was stuck in, for the report. Not sent. */
  stage?: string;
  /**
   * Its row's latest_trn_id and latest_trn_dtimes as read before the send (from the selection, or the lookup of a
   * listed packet): whether the row was written since is then decided without any clock (domain/rowVerdict.ts).
   * Absent without a database. Not sent.
   */
  before?: RowBefore;
}
