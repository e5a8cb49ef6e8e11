-- The session store: one head row per session, its append-only events (RFC 6902 patches) and
-- full-state checkpoints. Re-runnable: every statement is IF NOT EXISTS.

-- One row per (tenant, session): the head of its history.
CREATE TABLE IF NOT EXISTS sessions (
  tenant              VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  session_id          VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  head_version        INT UNSIGNED NOT NULL,
  head_state_hash     BINARY(32)   NOT NULL,
  -- Chain hash of the head event: the link the next event stores as its prev_hash.
  head_chain_hash     BINARY(32)   NOT NULL,
  head_state_bytes    INT UNSIGNED NOT NULL,
  checkpoint_version  INT UNSIGNED NOT NULL,
  patch_bytes_since_checkpoint BIGINT UNSIGNED NOT NULL,
  created_at          DATETIME(6)  NOT NULL,
  -- created_at of the head event.
  updated_at          DATETIME(6)  NOT NULL,
  -- Tombstone: set by DELETE; every later read or write answers 410.
  deleted_at          DATETIME(6)  NULL,
  PRIMARY KEY (tenant, session_id),
  KEY sessions_by_update (tenant, updated_at, session_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Append-only: one row per version, versions contiguous from 1.
CREATE TABLE IF NOT EXISTS events (
  tenant              VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  session_id          VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  version             INT UNSIGNED NOT NULL,
  kind                ENUM('save', 'patch', 'restore', 'fork') NOT NULL,
  -- The RFC 6902 patch from version-1 to this version, or NULL when this version is stored whole
  -- in checkpoints instead (version 1, and patches nearly as large as the state).
  patch               LONGBLOB     NULL,
  -- 0: JSON text; 1: JSON text compressed with raw deflate.
  patch_encoding      TINYINT UNSIGNED NOT NULL,
  ops                 INT UNSIGNED NOT NULL,
  patch_bytes         INT UNSIGNED NOT NULL,
  state_bytes         INT UNSIGNED NOT NULL,
  state_hash          BINARY(32)   NOT NULL,
  -- Chain hash of the previous event (zeros for version 1): see src/core/chain.ts.
  prev_hash           BINARY(32)   NOT NULL,
  created_at          DATETIME(6)  NOT NULL,
  message             VARCHAR(1000) NULL,
  author              VARCHAR(200) NULL,
  -- restore: the version restored; fork: the session and version forked from.
  source_session_id   VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
  source_version      INT UNSIGNED NULL,
  PRIMARY KEY (tenant, session_id, version),
  KEY events_by_time (tenant, session_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Full states at some versions; version 1 of every session is one.
CREATE TABLE IF NOT EXISTS checkpoints (
  tenant              VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  session_id          VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  version             INT UNSIGNED NOT NULL,
  -- 0: JSON text; 1: JSON text compressed with raw deflate.
  encoding            TINYINT UNSIGNED NOT NULL,
  body                LONGBLOB     NOT NULL,
  PRIMARY KEY (tenant, session_id, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The first answer to each write that carried an Idempotency-Key, replayed to its retries.
CREATE TABLE IF NOT EXISTS idempotency_keys (
  tenant              VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  session_id          VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  idempotency_key     VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- SHA-256 of the request (route, body, metadata): a reuse with another request is refused.
  request_hash        BINARY(32)   NOT NULL,
  status              SMALLINT UNSIGNED NOT NULL,
  response            MEDIUMTEXT   NOT NULL,
  created_at          DATETIME(6)  NOT NULL,
  PRIMARY KEY (tenant, session_id, idempotency_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
