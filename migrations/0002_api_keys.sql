-- API keys: each belongs to one tenant and has a role. Only a SHA-256 of the secret is stored.
CREATE TABLE IF NOT EXISTS api_keys (
  id                  CHAR(12)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  tenant              VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  role                ENUM('read', 'write', 'admin') NOT NULL,
  -- SHA-256 of the secret part of the key (256 random bits: a slow hash would add nothing).
  secret_hash         BINARY(32)   NOT NULL,
  description         VARCHAR(200) NULL,
  created_at          DATETIME(6)  NOT NULL,
  -- Updated at most once a minute per key and process.
  last_used_at        DATETIME(6)  NULL,
  expires_at          DATETIME(6)  NULL,
  revoked_at          DATETIME(6)  NULL,
  -- Per-key rate limit (requests per second, burst); NULL: the server's default.
  rate_per_second     DOUBLE       NULL,
  rate_burst          INT UNSIGNED NULL,
  PRIMARY KEY (id),
  KEY api_keys_by_tenant (tenant, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
