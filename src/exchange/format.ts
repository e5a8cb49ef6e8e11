/**
 * The export file format (NDJSON, one JSON text per line; README "Export and import"):
 *
 *   line 1   the header: format, format_version, tenant, session_id, created_at, first_version,
 *            head_version, base_chain_hash, head_state_hash, head_chain_hash, exported_at
 *   line 2…  one line per version from first_version to head_version, in order: version,
 *            created_at, kind, ops, patch_bytes, state_bytes, state_hash, message?, author?, labels?,
 *            restored_from?, forked_from?, prev_hash (the chain link before it), chain_hash (its own
 *            link), patch (the stored RFC 6902 patch from the
 *            version before, or null for a version stored whole) and, where the store keeps a
 *            checkpoint, state (the whole state).
 */
export const EXPORT_FORMAT = 'session-state-store/export';
export const EXPORT_FORMAT_VERSION = 1;
export const NDJSON_TYPE = 'application/x-ndjson';

export interface ExportHeader {
  format: typeof EXPORT_FORMAT;
  format_version: typeof EXPORT_FORMAT_VERSION;
  tenant: string;
  session_id: string;
  created_at: string;
  first_version: number;
  head_version: number;
  /** The chain hash of the versions before first_version (zeros when it is 1): the first line's prev_hash. */
  base_chain_hash: string;
  head_state_hash: string;
  head_chain_hash: string;
  exported_at: string;
}
