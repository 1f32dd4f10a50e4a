// DDL of the three regprc tables the tool and the simulator use, with the real 1.2.0.1 column set and indexes,
// under MOSIP's own index names (mosip/registration v1.2.0.1 db_scripts/mosip_regprc/ddl/regprc-*.sql; see
// docs/mosip-facts.md, "Database tables"). A table that exists already (a MOSIP database, a test database) is
// left exactly as it is, its indexes included: only missing tables are created, each with its indexes.
// Every column's type, length, NOT NULL and default is MOSIP's, checked column by column against those files by
// packages/simulator/test/simSeed.test.ts. Left out: regprc-fk.sql's fk_regtrn_trntyp (registration_transaction
// (trn_type_code, lang_code) -> transaction_type), since transaction_type is not created here.
import type { Queryable } from './sql/queryable.js';
import { quoteSchema } from './sql/ident.js';

/** Each table's DDL: the table and its indexes, created together or not at all. */
const TABLES: readonly { name: string; ddl: (s: string) => string }[] = [
  { name: 'registration', ddl: (s) => `
CREATE TABLE IF NOT EXISTS ${s}.registration (
  reg_id character varying(39) NOT NULL,
  process character varying(36) NOT NULL,
  ref_reg_id character varying(39),
  applicant_type character varying(36),
  status_code character varying(36) NOT NULL,
  lang_code character varying(3) NOT NULL,
  status_comment character varying(256),
  latest_trn_id character varying(36),
  latest_trn_type_code character varying(36),
  latest_trn_status_code character varying(36),
  latest_trn_dtimes timestamp,
  reg_process_retry_count smallint,
  reg_stage_name character varying(36),
  trn_retry_count smallint,
  pkt_cr_dtimes timestamp,
  is_active boolean NOT NULL,
  cr_by character varying(256) NOT NULL,
  cr_dtimes timestamp NOT NULL,
  upd_by character varying(256),
  upd_dtimes timestamp,
  is_deleted boolean DEFAULT FALSE,
  del_dtimes timestamp,
  resume_timestamp timestamp,
  default_resume_action character varying(50),
  pause_rule_ids character varying(256),
  last_success_stage_name character varying(50),
  workflow_instance_id character varying(36) NOT NULL,
  source character varying,
  iteration integer DEFAULT 1,
  CONSTRAINT pk_reg_id PRIMARY KEY (workflow_instance_id)
);
CREATE INDEX IF NOT EXISTS idx_rgstrn_ltstrbcode_ltststscode ON ${s}.registration (latest_trn_dtimes, latest_trn_status_code);
CREATE INDEX IF NOT EXISTS idx_reg_latest_trn_dtimes ON ${s}.registration (latest_trn_dtimes);
` },
  { name: 'registration_transaction', ddl: (s) => `
CREATE TABLE IF NOT EXISTS ${s}.registration_transaction (
  id character varying(36) NOT NULL,
  reg_id character varying(39) NOT NULL,
  trn_type_code character varying(64) NOT NULL,
  remarks character varying(256),
  parent_regtrn_id character varying(36),
  ref_id character varying(64),
  ref_id_type character varying(64),
  status_code character varying(36) NOT NULL,
  sub_status_code character varying(36) NOT NULL,
  lang_code character varying(3) NOT NULL,
  status_comment character varying(256),
  cr_by character varying(256) NOT NULL,
  cr_dtimes timestamp NOT NULL,
  upd_by character varying(256),
  upd_dtimes timestamp,
  is_deleted boolean DEFAULT FALSE,
  del_dtimes timestamp,
  CONSTRAINT pk_regtrn_id PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS idx_reg_trn_reg_id ON ${s}.registration_transaction (reg_id);
CREATE INDEX IF NOT EXISTS idx_reg_trn_status_code ON ${s}.registration_transaction (status_code);
CREATE INDEX IF NOT EXISTS idx_reg_trn_trntypecode ON ${s}.registration_transaction (trn_type_code);
CREATE INDEX IF NOT EXISTS idx_reg_trn_upd_dtimes ON ${s}.registration_transaction (upd_dtimes);
` },
  { name: 'registration_list', ddl: (s) => `
CREATE TABLE IF NOT EXISTS ${s}.registration_list (
  workflow_instance_id character varying(36) NOT NULL,
  reg_id character varying(39) NOT NULL,
  process character varying(64),
  packet_checksum character varying(128) NOT NULL DEFAULT '0',
  packet_size bigint NOT NULL DEFAULT 0,
  client_status_code character varying(36),
  client_status_comment character varying(256),
  additional_info bytea,
  status_code character varying(36),
  status_comment character varying(256),
  lang_code character varying(3) NOT NULL,
  cr_by character varying(256) NOT NULL,
  cr_dtimes timestamp NOT NULL,
  upd_by character varying(256),
  upd_dtimes timestamp,
  is_deleted boolean DEFAULT FALSE,
  del_dtimes timestamp,
  name character varying,
  phone character varying,
  email character varying,
  center_id character varying,
  registration_date date,
  location_code character varying,
  additional_info_req_id character varying(256),
  packet_id character varying,
  ref_id character varying(512),
  source character varying,
  CONSTRAINT pk_reglist_id PRIMARY KEY (workflow_instance_id)
);
CREATE INDEX IF NOT EXISTS idx_rgstrnlst_pcktid ON ${s}.registration_list (packet_id);
CREATE INDEX IF NOT EXISTS idx_rgstrnlst_aireqid ON ${s}.registration_list (additional_info_req_id);
CREATE INDEX IF NOT EXISTS idx_reglist_reg_id ON ${s}.registration_list (reg_id);
` },
];

/** The DDL of the schema and all three tables, as a fresh database would get it. */
export function schemaDdl(schema: string): string {
  const s = quoteSchema(schema);
  return `CREATE SCHEMA IF NOT EXISTS ${s};\n` + TABLES.map((t) => t.ddl(s)).join('');
}

/**
 * Creates the schema and whichever of the three tables is missing, each with its indexes (idempotent). A table
 * that exists is left alone: a MOSIP database has its own indexes, and no second copy under another name.
 */
export async function createSchema(db: Queryable, schema: string): Promise<void> {
  const s = quoteSchema(schema);
  await db.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
  for (const table of TABLES) {
    const { rows } = await db.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [`${s}.${table.name}`]);
    if (!rows[0]!.present) await db.query(table.ddl(s));
  }
}
