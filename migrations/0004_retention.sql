-- Retention (issue 11): how much history to keep, where a compacted session's history now starts,
-- and which sweeper is compacting a session. Re-runnable: every statement is IF NOT EXISTS.

-- A tenant's policy (session_id '', which no session id can be) or one session's override. A
-- NULL rule is not applied; a row with both NULL keeps everything (and overrides what is above).
CREATE TABLE IF NOT EXISTS retention_policies (
  tenant              VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  session_id          VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  keep_versions       INT UNSIGNED NULL,
  keep_days           INT UNSIGNED NULL,
  updated_at          DATETIME(6)  NOT NULL,
  PRIMARY KEY (tenant, session_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A compacted session: its first kept version (the base, which has a checkpoint) and the chain
-- hash of the versions before it (the base event's prev_hash), from which the chain is verified.
-- No row: the history starts at version 1 with the genesis hash.
CREATE TABLE IF NOT EXISTS session_bases (
  tenant              VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  session_id          VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  base_version        INT UNSIGNED NOT NULL,
  base_chain_hash     BINARY(32)   NOT NULL,
  compacted_at        DATETIME(6)  NOT NULL,
  PRIMARY KEY (tenant, session_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One compaction of a session at a time, across processes: a lease taken and renewed by
-- conditional writes of this row (no GET_LOCK, no lock held between statements: both unsafe or
-- unavailable on Galera, where row locks are not replicated but a row's writes are certified).
CREATE TABLE IF NOT EXISTS compaction_leases (
  tenant              VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  session_id          VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  holder              VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  expires_at          DATETIME(6)  NOT NULL,
  PRIMARY KEY (tenant, session_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
