-- Idempotency records expire after IDEMPOTENCY_TTL_SECONDS and are purged oldest first, and each
-- keeps its answer in its wire form: `status` is the HTTP status the client got, `response` the
-- exact JSON body (empty for a 204). Re-runnable: IF NOT EXISTS, and the UPDATE touches only
-- records still in the earlier form.

-- The purge deletes by age in bounded batches: `WHERE created_at <= ? ORDER BY created_at LIMIT n`.
ALTER TABLE idempotency_keys ADD INDEX IF NOT EXISTS idempotency_keys_by_age (created_at);

-- Records written before this migration hold the server's internal answer object
-- ({"sessionId":…,"createdAt":"YYYY-MM-DD HH:MM:SS.ffffff",…,"replayed":false}): rewrite each as
-- the body its client got, member for member in the same order, without spaces.
UPDATE idempotency_keys SET response = JSON_COMPACT(JSON_MERGE_PATCH(
    JSON_OBJECT(
      'session_id', JSON_VALUE(response, '$.sessionId'),
      'version', JSON_EXTRACT(response, '$.version'),
      'created_at', CONCAT(REPLACE(JSON_VALUE(response, '$.createdAt'), ' ', 'T'), 'Z'),
      'changed', JSON_EXTRACT(response, '$.changed'),
      'kind', JSON_VALUE(response, '$.kind'),
      'ops', JSON_EXTRACT(response, '$.ops'),
      'patch_bytes', JSON_EXTRACT(response, '$.patchBytes'),
      'state_bytes', JSON_EXTRACT(response, '$.stateBytes'),
      'state_hash', JSON_VALUE(response, '$.stateHash')),
    IF(JSON_EXISTS(response, '$.restoredFrom'),
       JSON_OBJECT('restored_from', JSON_EXTRACT(response, '$.restoredFrom')),
       '{}'),
    IF(JSON_EXISTS(response, '$.forkedFrom'),
       JSON_OBJECT('forked_from', JSON_OBJECT(
         'session_id', JSON_VALUE(response, '$.forkedFrom.sessionId'),
         'version', JSON_EXTRACT(response, '$.forkedFrom.version'))),
       '{}')))
  WHERE response LIKE '{"sessionId":%';
