// Cohorts: packets stuck in the same place for the same reason. A packet's cohort is its stage (latest_trn_type_code)
// and its last failure (the stage that failed, status, sub status and the status comment with what differs from
// packet to packet taken out), plus whether that failure repeats (the hold-back's rule, decided in SQL:
// src/sql/lastFailure.ts). A cohort's id is a short hash of that key: the same on every run and machine, as long as
// the key is the same.
//
// The verdict follows from the key (docs/operating.md, "Triage"):
//   repeating  the failure repeats (--repeat-failures times, the stage never got past it): a re-drive will not fix it;
//   transient  the last failure is one a re-drive has fixed before: a service that did not answer (the table
//              TRANSIENT_FAILURES in @mosip-reprocess/contract/history.js, read from MOSIP's source);
//   unknown    another failure, seen fewer times: a re-drive may or may not fix it (--canary --by-cohort tells);
//   quiet      no failure left in its history: its message was lost or dropped; a re-drive is what it needs.
import { createHash } from 'node:crypto';
import { transientFailureOf, type TransientFailure } from '@mosip-reprocess/contract/history.js';

export const VERDICTS = ['repeating', 'unknown', 'transient', 'quiet'] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface CohortKey {
  /** registration.latest_trn_type_code: where the packet is now. */
  stage: string | null;
  /** The last failure: the stage (trn_type_code) that wrote it, its status and sub status, the comment normalised. All null when quiet. */
  failureStage: string | null;
  status: string | null;
  subStatus: string | null;
  comment: string | null;
  /** The failure repeats (the SQL rule). */
  repeating: boolean;
}

/** What a packet's facts say about its cohort (the last failure only counts while its stage has not succeeded since). */
export interface CohortInput {
  latest_trn_type_code: string | null;
  f_type: string | null;
  f_status: string | null;
  f_sub: string | null;
  f_comment: string | null;
  resolved: boolean | null;
  repeating: boolean;
}

export function cohortKeyOf(f: CohortInput): CohortKey {
  const failing = f.f_type !== null && f.resolved !== true;
  return {
    stage: f.latest_trn_type_code,
    failureStage: failing ? f.f_type : null,
    status: failing ? f.f_status : null,
    subStatus: failing ? f.f_sub : null,
    comment: failing ? normaliseComment(f.f_comment) : null,
    repeating: failing && f.repeating,
  };
}

/** Version of the key's definition: part of the hash, so a change of definition gives new ids, never a mix. */
const KEY_VERSION = 1;

/** 'c' and 8 hex digits of the SHA-256 of the key. */
export function cohortId(key: CohortKey): string {
  const text = JSON.stringify([KEY_VERSION, key.stage, key.failureStage, key.status, key.subStatus, key.comment, key.repeating]);
  return `c${createHash('sha256').update(text).digest('hex').slice(0, 8)}`;
}

export const COHORT_ID = /^c[0-9a-f]{8}$/;

export function verdictOf(key: CohortKey): Verdict {
  if (key.failureStage === null) return 'quiet';
  if (key.repeating) return 'repeating';
  return transientOf(key) ? 'transient' : 'unknown';
}

/** The transient failure (contract table) the key's last failure is, or null. */
export function transientOf(key: CohortKey): TransientFailure | null {
  return transientFailureOf(key.subStatus, key.comment);
}

/** What a verdict means and what to do, as printed by triage and explain. */
export const VERDICT_TEXT: Record<Verdict, { meaning: string; action: string }> = {
  repeating: {
    meaning: 'the same failure again and again: a re-drive will not fix it (a data or configuration error)',
    action: 'held back from runs; fix the cause (the comment says what), then --include-repeat-failures (with --cohort <id> for this cohort only)',
  },
  transient: {
    meaning: 'a failure a re-drive has fixed before: a service that did not answer (MOSIP\'s own reprocessable errors)',
    action: 're-drive once the service is back (a canary first: --canary --by-cohort)',
  },
  unknown: {
    meaning: 'a failure that is neither known to be transient nor repeating yet',
    action: 'try a few: --canary --by-cohort, or --cohort <id> --limit 1',
  },
  quiet: {
    meaning: 'no failure in its history: its message was lost or dropped',
    action: 're-drive it',
  },
};

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const ISO_TIME = /\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?\b/g;
const LONG_NUMBER = /\b\d{5,}\b/g;
const HEX_ID = /\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{16,}\b/gi;
/** Longest comment kept in a key: MOSIP cuts comments at 220 characters, mid-word (TrimExceptionMessage). */
export const COMMENT_KEY_LENGTH = 160;

/**
 * The status comment without what differs from packet to packet: ids (UUIDs, RIDs and other long numbers, hex
 * ids) and times become placeholders, runs of white space one space, and it is cut to COMMENT_KEY_LENGTH (MOSIP
 * cuts at 220, so two packets' comments can end at different places in the same message). Empty -> null.
 */
export function normaliseComment(comment: string | null): string | null {
  if (comment === null) return null;
  const text = comment
    .replace(UUID, '<uuid>')
    .replace(ISO_TIME, '<time>')
    .replace(HEX_ID, '<hex>')
    .replace(LONG_NUMBER, '<n>')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, COMMENT_KEY_LENGTH)
    .trim();
  return text === '' ? null : text;
}

/** The key in one line: "VALIDATE_PACKET: VALIDATE_PACKET REPROCESS RPR-PKV-FAILED-014" or "UPLOAD_PACKET: no failure". */
export function describeKey(key: CohortKey): string {
  const at = key.stage ?? '(no stage)';
  if (key.failureStage === null) return `${at}: no failure`;
  return `${at}: ${key.failureStage} ${key.status} ${key.subStatus}`;
}

/** Repeating packets by where they are and their last failure (the comment as stored: the triage normalises it). */
export interface RepeatingGroup {
  stage: string | null;
  failureStage: string;
  status: string;
  subStatus: string;
  comment: string | null;
  count: number;
  /** The smallest RID of the group: one to `reprocess explain`. */
  sampleRid: string;
}

/** A cohort of packets a run holds back as repeating, as the dry run lists them. */
export interface HeldCohort extends RepeatingGroup {
  id: string;
}

/** Repeating packets grouped by their raw last failure, merged into cohorts (comments normalised), largest first. */
export function heldCohortsOf(groups: readonly { stage: string | null; failureStage: string; status: string; subStatus: string; comment: string | null; count: number; sampleRid: string }[]): HeldCohort[] {
  const byId = new Map<string, HeldCohort>();
  for (const g of groups) {
    const key: CohortKey = { stage: g.stage, failureStage: g.failureStage, status: g.status, subStatus: g.subStatus, comment: normaliseComment(g.comment), repeating: true };
    const id = cohortId(key);
    const c = byId.get(id);
    if (c) {
      c.count += g.count;
      if (g.sampleRid < c.sampleRid) c.sampleRid = g.sampleRid;
    } else {
      byId.set(id, { id, stage: key.stage, failureStage: g.failureStage, status: g.status, subStatus: g.subStatus, comment: key.comment, count: g.count, sampleRid: g.sampleRid });
    }
  }
  return [...byId.values()].sort((a, b) => b.count - a.count || (a.id < b.id ? -1 : 1));
}
