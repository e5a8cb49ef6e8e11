// Generated from openapi.yaml by `npm run contract`: do not edit (test/unit/contract.test.ts checks it).
export const openapiDocument: unknown = {
  "openapi": "3.1.0",
  "info": {
    "title": "Session state store",
    "version": "1.0.0",
    "description": "Keeps every saved state of a session. Each save is stored as an RFC 6902 JSON Patch against the\nprevious state, with periodic full checkpoints; any version, or the state at any instant, can be\nloaded, compared and restored, and history is never rewritten.\n\nConventions:\n- Session ids: 1 to 128 characters of `A-Z a-z 0-9 . _ : @ -`, starting with a letter or digit.\n- Versions are whole numbers from 1, contiguous per session. `ETag` is the version in double quotes.\n- Instants are RFC 3339; answers give UTC with microseconds (`2026-01-31T12:00:00.123456Z`).\n  An instant given must fall, once its offset is applied, from `0001-01-01T00:00:00Z` to\n  `9999-12-31T23:59:59.999999Z` (else 400).\n- Request bodies are JSON in UTF-8: no `charset` parameter or `charset=utf-8` (`utf8`, any\n  letter case); another charset is a 415, bytes that are not UTF-8 a 400 (never replaced by\n  U+FFFD). `Content-Encoding` may be `gzip`, `deflate`, `br` or `identity` (any letter case); the\n  body limit holds for the inflated body (413), a corrupt compressed body is a 400, another\n  coding a 415.\n- Numbers are IEEE 754 doubles, given back in their shortest form (`1.0` comes back as `1`). A\n  number whose value a double cannot hold exactly (`9007199254740993`, `1e400`, `1e-400`) is a\n  400 naming its JSON Pointer, never stored as another value. `-0` is stored as `0`.\n- Text lengths (`maxLength` of `message`, `author`…) count Unicode code points, in the query\n  and in bodies alike: an emoji is one character.\n- Every error is an `application/problem+json` body (RFC 9457) with `type`, `title`, `status`,\n  `detail` and `request_id`; a failed request writes nothing.\n- Every answer carries `X-Request-Id`: the request's own when it sent an acceptable one (1 to\n  128 characters of `A-Z a-z 0-9 . _ : @ + = / -`), else one the server made; the server logs\n  one line per request with it. A request id is never a reason to refuse a request.\n- Requests are held to this document: a path or query parameter, a header or a body member\n  that breaks its schema is a 400 whose `detail` names it, says what it must be (in the words of\n  the schema's `title`, where it has one) and shows what was sent. A query parameter the operation does not list, or one given twice, is a 400 too, and\n  so is an `If-Match` or `If-None-Match` on a write that does not list it (nothing would check it).\n  A query parameter is read as its schema's type in one spelling: `10`, not `010` or `1e1`.\n- Writes to one session are serialized: every accepted write becomes exactly one version.\n  `If-Match` makes a write conditional on the head version; `Idempotency-Key` makes it safe to retry.\n- Paths are exact: case-sensitive, with no trailing slash (but the page, `/ui/`), and compared as\n  sent (a percent-encoded letter, `//`, a `.` or `..` segment or a `;` parameter is another path). Only\n  path parameters are percent-decoded. A path no route has answers 404, a method a path does\n  not take 405 (with `Allow`), both as problems and without looking at the key.\n- While the database cannot serve (down, restarting, overloaded, read-only, out of disk) every\n  route that needs it answers 503 with `Retry-After` in whole seconds; retry then, with the same\n  `Idempotency-Key` for a write.\n\nAccess: every `/v1` route needs `Authorization: Bearer <key>`. A key belongs to one tenant and\nhas a role: `read` (GET and HEAD only), `write` (every session route) or `admin` (also the\ntenant's keys, under `/v1/keys`). Each operation names the least role it needs in `x-access`\n(`public`: no key). Sessions live inside their tenant: another tenant's session is answered\nexactly as one that does not exist. `/healthz`, `/readyz`, `/openapi.yaml` and the history page\n(`/ui/` and its files) are open.\n"
  },
  "servers": [
    {
      "url": "http://127.0.0.1:8080"
    }
  ],
  "security": [
    {
      "apiKey": []
    }
  ],
  "paths": {
    "/v1/sessions/{sid}/state": {
      "parameters": [
        {
          "$ref": "#/components/parameters/SessionId"
        }
      ],
      "put": {
        "operationId": "saveState",
        "x-access": "write",
        "summary": "Save the whole state",
        "description": "The request body is the new state, any JSON value. The first save creates the session at\nversion 1. A state equal to the head writes nothing and answers 200 with `changed: false`.\n",
        "parameters": [
          {
            "$ref": "#/components/parameters/IfMatch"
          },
          {
            "$ref": "#/components/parameters/IfNoneMatchCreate"
          },
          {
            "$ref": "#/components/parameters/IdempotencyKey"
          },
          {
            "$ref": "#/components/parameters/Message"
          },
          {
            "$ref": "#/components/parameters/Author"
          },
          {
            "$ref": "#/components/parameters/Labels"
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/State"
              }
            }
          }
        },
        "responses": {
          "200": {
            "$ref": "#/components/responses/Unchanged"
          },
          "201": {
            "$ref": "#/components/responses/Written"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "410": {
            "$ref": "#/components/responses/Gone"
          },
          "412": {
            "$ref": "#/components/responses/PreconditionFailed"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      },
      "patch": {
        "operationId": "patchState",
        "x-access": "write",
        "summary": "Apply an RFC 6902 JSON Patch to the head state",
        "description": "Applied atomically to the head state: a patch that cannot apply (a failing `test`, a missing\npath) is a 422 and writes nothing. Combine with `If-Match` to patch a known version only.\nA JSON Pointer resolves the document's own members only (RFC 6901): `/constructor` or\n`/toString` name nothing unless the state has such a key. An array index is `0` or has no\nleading zero; `-` appends, in an `add` or as the target of a `move` or `copy` only. Members\nan operation does not define are ignored (RFC 6902 §4). As each operation applies, the\nresulting state is held to `BODY_LIMIT_BYTES` (413) and `MAX_JSON_DEPTH` (422), and the\npatch may copy, move, remove or compare at most 4 × `BODY_LIMIT_BYTES` of values in all\n(413); each of these answers names the failing `operation`.\n",
        "parameters": [
          {
            "$ref": "#/components/parameters/IfMatch"
          },
          {
            "$ref": "#/components/parameters/IdempotencyKey"
          },
          {
            "$ref": "#/components/parameters/Message"
          },
          {
            "$ref": "#/components/parameters/Author"
          },
          {
            "$ref": "#/components/parameters/Labels"
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json-patch+json": {
              "schema": {
                "$ref": "#/components/schemas/JsonPatch"
              }
            }
          }
        },
        "responses": {
          "200": {
            "$ref": "#/components/responses/Unchanged"
          },
          "201": {
            "$ref": "#/components/responses/Written"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "410": {
            "$ref": "#/components/responses/Gone"
          },
          "412": {
            "$ref": "#/components/responses/PreconditionFailed"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      },
      "get": {
        "operationId": "loadState",
        "x-access": "read",
        "summary": "Load the latest state, a version, or the state at an instant",
        "description": "The body is the state itself. `HEAD` answers the same headers without the body.\nWith `If-None-Match` naming the selected version, the answer is 304.\n",
        "parameters": [
          {
            "name": "version",
            "in": "query",
            "description": "Load this version (not with `at`).",
            "schema": {
              "$ref": "#/components/schemas/Version"
            }
          },
          {
            "name": "at",
            "in": "query",
            "description": "Load the last version saved at or before this instant (not with `version`).",
            "schema": {
              "$ref": "#/components/schemas/DateTime"
            }
          },
          {
            "name": "If-None-Match",
            "in": "header",
            "description": "Entity tags (versions) the client already has; a match answers 304. Compared weakly\n(RFC 9110 §13.1.2): `W/\"3\"` matches version 3; a tag the server never sends (`\"03\"`)\nmatches nothing. A header that is not `*` or a list of entity tags is a 400.\n",
            "schema": {
              "$ref": "#/components/schemas/EntityTags"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The state.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/RequestId"
              },
              "ETag": {
                "$ref": "#/components/headers/ETag"
              },
              "Snapshot-Version": {
                "$ref": "#/components/headers/SnapshotVersion"
              },
              "Last-Modified": {
                "$ref": "#/components/headers/LastModified"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/State"
                }
              }
            }
          },
          "304": {
            "description": "The client's copy (named by If-None-Match) is the selected version.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/RequestId"
              },
              "ETag": {
                "$ref": "#/components/headers/ETag"
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "410": {
            "$ref": "#/components/responses/Gone"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      }
    },
    "/v1/sessions/{sid}/history": {
      "parameters": [
        {
          "$ref": "#/components/parameters/SessionId"
        }
      ],
      "get": {
        "operationId": "listHistory",
        "x-access": "read",
        "summary": "The session's versions, newest first (metadata only)",
        "parameters": [
          {
            "name": "limit",
            "in": "query",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 1000,
              "default": 100
            }
          },
          {
            "name": "before",
            "in": "query",
            "description": "Only versions below this one; pass the previous page's `next`.",
            "schema": {
              "$ref": "#/components/schemas/Version"
            }
          },
          {
            "name": "from",
            "in": "query",
            "description": "Only versions saved at or after this instant.",
            "schema": {
              "$ref": "#/components/schemas/DateTime"
            }
          },
          {
            "name": "to",
            "in": "query",
            "description": "Only versions saved at or before this instant.",
            "schema": {
              "$ref": "#/components/schemas/DateTime"
            }
          },
          {
            "name": "labels",
            "in": "query",
            "description": "Only versions carrying every one of these labels with exactly these values: a JSON\nobject of label names to strings, percent-encoded (`{\"step\":\"3\",\"source\":\"loop\"}`), with\nthe same rules as the labels of a write. `{}` filters nothing. Combines with `before`,\n`from`, `to` and `limit`: a page holds up to `limit` matching versions.\n",
            "schema": {
              "type": "string",
              "title": "a JSON object",
              "maxLength": 1000
            }
          }
        ],
        "responses": {
          "200": {
            "description": "One page of history.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/HistoryPage"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "410": {
            "$ref": "#/components/responses/Gone"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      }
    },
    "/v1/sessions/{sid}/versions/{n}": {
      "parameters": [
        {
          "$ref": "#/components/parameters/SessionId"
        },
        {
          "name": "n",
          "in": "path",
          "required": true,
          "schema": {
            "$ref": "#/components/schemas/Version"
          }
        }
      ],
      "get": {
        "operationId": "readVersion",
        "x-access": "read",
        "summary": "One version's metadata and its RFC 6902 patch from the version before",
        "description": "A version stored whole (version 1, or a change nearly as large as the state) has as its patch\nthe equivalent whole-document operation: `add` at the root for version 1, `replace` otherwise.\n",
        "responses": {
          "200": {
            "description": "The event.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/RequestId"
              },
              "ETag": {
                "$ref": "#/components/headers/ETag"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/VersionDetail"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "410": {
            "$ref": "#/components/responses/Gone"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      }
    },
    "/v1/sessions/{sid}/diff": {
      "parameters": [
        {
          "$ref": "#/components/parameters/SessionId"
        }
      ],
      "get": {
        "operationId": "diffVersions",
        "x-access": "read",
        "summary": "The RFC 6902 patch that turns version `from`'s state into version `to`'s",
        "description": "Past 64 KiB, never longer than replacing the whole document: where the changes would take\nmore, the patch is that one `replace` of the root.\n",
        "parameters": [
          {
            "name": "from",
            "in": "query",
            "required": true,
            "schema": {
              "$ref": "#/components/schemas/Version"
            }
          },
          {
            "name": "to",
            "in": "query",
            "required": true,
            "schema": {
              "$ref": "#/components/schemas/Version"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The patch; empty when the two states are equal.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "application/json-patch+json": {
                "schema": {
                  "$ref": "#/components/schemas/JsonPatch"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "410": {
            "$ref": "#/components/responses/Gone"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      }
    },
    "/v1/sessions/{sid}/watch": {
      "parameters": [
        {
          "$ref": "#/components/parameters/SessionId"
        }
      ],
      "get": {
        "operationId": "watchSession",
        "x-access": "read",
        "summary": "The session's new versions as they are written (Server-Sent Events)",
        "description": "A `text/event-stream` (Server-Sent Events) that stays open: one event per new version of\nthe session, written through any server process on the same database, in version order,\nnone missed and none twice. Each event has `id:` the version, `event: version` and as\n`data` a `FeedVersion`: the version's history entry (as `/history` gives it) plus `patch`,\nthe RFC 6902 patch from the version before (as `/versions/{n}` gives it), when it is at\nmost `FEED_PATCH_LIMIT_BYTES` (default 64 KiB), else `load_state: true` (load that\nversion's state instead).\n\nWhere it starts: with `Last-Event-ID: N` (what an EventSource sends when it reconnects) or\n`?after=N`, the versions after N are sent first (`after=0`: every version), then new ones\nas they come; with neither, only versions written after the stream opened. Last-Event-ID\nwins over `after` (an EventSource reconnects to the same URL). N beyond the session's head\nis a 400, answered before the stream opens, like every other refusal. The stream opens with\n`retry: 1000` and `id: N` without data (not an event): N is the version it starts after (the\nhead, without `after`), so a client that loses the connection before the first version\nstill resumes from there with Last-Event-ID, missing nothing.\n\nA new version is sent within `FEED_POLL_MS` (default 100 ms) plus two database reads of\nbeing committed: each server process reads the heads of every session its streams watch in\none query per poll, whatever the number of streams. Lines starting with `:` are heartbeats,\nsent when a stream has been silent for `FEED_HEARTBEAT_MS` (default 15 s). When the session\nis deleted, the stream sends its remaining versions, then `event: deleted` with a\n`FeedDeleted` (`purged: false`, `deleted_at`, `version`; or `purged: true` after a purge)\nand ends. It also ends when the key is revoked or expires (checked every\n`FEED_HEARTBEAT_MS`), and when the server stops: resume then with `Last-Event-ID`.\n\nA stream whose reader falls behind (more than `FEED_STREAM_BUFFER_BYTES`, default 1 MiB,\nstill waiting for it when the next version comes, or nothing taken for two heartbeat\nintervals while it catches up) is cut; its reader resumes with `Last-Event-ID` from the\nlast event it got.\n",
        "parameters": [
          {
            "name": "after",
            "in": "query",
            "description": "Send the versions after this one first (0 for all); at most the session's head (else 400).",
            "schema": {
              "type": "integer",
              "minimum": 0
            }
          },
          {
            "name": "Last-Event-ID",
            "in": "header",
            "description": "The `id` of the last event the client got (a version); wins over `after`. At most the session's head (else 400).",
            "schema": {
              "type": "string",
              "title": "the id of an event of this feed, a version such as 7",
              "pattern": "^(0|[1-9][0-9]{0,9})$"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The stream. Events: `version` (data: `FeedVersion`, `id:` the version) and, last,\n`deleted` (data: `FeedDeleted`); heartbeat comments; first `retry:` and `id:` fields.\n",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/RequestId"
              },
              "Cache-Control": {
                "description": "`no-store`",
                "schema": {
                  "type": "string"
                }
              }
            },
            "content": {
              "text/event-stream": {
                "schema": {
                  "type": "string",
                  "description": "Server-Sent Events: `id: <version>`, `event: version`, `data: <FeedVersion>`; finally `event: deleted`, `data: <FeedDeleted>`."
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "410": {
            "$ref": "#/components/responses/Gone"
          },
          "429": {
            "description": "Too many open streams: this key's in this server process (`FEED_MAX_STREAMS_PER_KEY`,\ndefault 100), or the process's own (`FEED_MAX_STREAMS`, default 2000); or the key is over\nits rate limit. Retry after `Retry-After` seconds, or close a stream first.\n",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/RequestId"
              },
              "Retry-After": {
                "description": "Whole seconds to wait before retrying.",
                "schema": {
                  "type": "string",
                  "pattern": "^[0-9]+$"
                }
              }
            },
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      }
    },
    "/v1/sessions/{sid}/restore": {
      "parameters": [
        {
          "$ref": "#/components/parameters/SessionId"
        }
      ],
      "post": {
        "operationId": "restoreState",
        "x-access": "write",
        "summary": "Append a new version equal to an earlier one",
        "description": "Nothing is removed: the restored state becomes a new version with `kind: restore` and\n`restored_from`. Restoring a state equal to the head writes nothing (200, `changed: false`).\nA version or instant the session does not have is a 422; a session that does not exist is a 404.\n",
        "parameters": [
          {
            "$ref": "#/components/parameters/IfMatch"
          },
          {
            "$ref": "#/components/parameters/IdempotencyKey"
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/RestoreRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "$ref": "#/components/responses/Unchanged"
          },
          "201": {
            "$ref": "#/components/responses/Written"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "410": {
            "$ref": "#/components/responses/Gone"
          },
          "412": {
            "$ref": "#/components/responses/PreconditionFailed"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      }
    },
    "/v1/sessions/{sid}/fork": {
      "parameters": [
        {
          "$ref": "#/components/parameters/SessionId"
        }
      ],
      "post": {
        "operationId": "forkSession",
        "x-access": "write",
        "summary": "Start a new session from a version of this one",
        "description": "The new session's version 1 (`kind: fork`, with `forked_from`) is the given version of this\nsession, its head by default. A target that exists (even deleted) is a 409. A version the\nsource does not have is a 422, as for restore; a source session that does not exist is a 404.\n",
        "parameters": [
          {
            "$ref": "#/components/parameters/IdempotencyKey"
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ForkRequest"
              }
            }
          }
        },
        "responses": {
          "201": {
            "$ref": "#/components/responses/Written"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "410": {
            "$ref": "#/components/responses/Gone"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      }
    },
    "/v1/sessions/{sid}": {
      "parameters": [
        {
          "$ref": "#/components/parameters/SessionId"
        }
      ],
      "delete": {
        "operationId": "deleteSession",
        "x-access": "write",
        "summary": "Delete a session (tombstone), or purge every row of it",
        "description": "Without `purge`, the session is tombstoned: its rows stay and every later read or write answers\n410 (no silent resurrection). With `purge=true` (for erasure requests; allowed on a tombstoned\nsession) every row is removed and the id becomes unknown (404) and free to reuse.\nWith an Idempotency-Key, a retried tombstone answers 204 again; a purge keeps no record (it\nerases everything of the session), so its retry answers 404.\n",
        "parameters": [
          {
            "name": "purge",
            "in": "query",
            "schema": {
              "type": "boolean",
              "default": false
            }
          },
          {
            "$ref": "#/components/parameters/IfMatch"
          },
          {
            "$ref": "#/components/parameters/IdempotencyKey"
          }
        ],
        "responses": {
          "204": {
            "description": "Deleted.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/RequestId"
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "410": {
            "$ref": "#/components/responses/Gone"
          },
          "412": {
            "$ref": "#/components/responses/PreconditionFailed"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      }
    },
    "/v1/sessions": {
      "get": {
        "operationId": "listSessions",
        "x-access": "read",
        "summary": "Live sessions, most recently updated first",
        "parameters": [
          {
            "name": "prefix",
            "in": "query",
            "description": "Only session ids starting with this.",
            "schema": {
              "type": "string",
              "title": "the start of a session id, at most 128 characters of A-Z a-z 0-9 . _ : @ -",
              "maxLength": 128,
              "pattern": "^[A-Za-z0-9._:@-]*$"
            }
          },
          {
            "name": "limit",
            "in": "query",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 1000,
              "default": 100
            }
          },
          {
            "name": "cursor",
            "in": "query",
            "description": "The previous page's `next`, as it was given (anything else is a 400).",
            "schema": {
              "type": "string",
              "title": "a \"next\" of the previous page, as it was given",
              "maxLength": 1024,
              "pattern": "^[A-Za-z0-9_-]+$"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "One page of sessions.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SessionPage"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      }
    },
    "/v1/retention": {
      "get": {
        "operationId": "readTenantRetention",
        "x-access": "admin",
        "summary": "The caller's tenant's retention policy (admin keys only)",
        "description": "The policy that applies to the tenant's sessions without one of their own: the tenant's\n(`source: tenant`), or the service-wide default of `RETENTION_KEEP_VERSIONS` and\n`RETENTION_KEEP_DAYS` (`source: service`; no rule by default: nothing is ever removed).\n",
        "responses": {
          "200": {
            "$ref": "#/components/responses/RetentionAnswer"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      },
      "put": {
        "operationId": "setTenantRetention",
        "x-access": "admin",
        "summary": "Set the caller's tenant's retention policy (admin keys only)",
        "description": "Replaces the tenant's policy. `{}` (no rule) keeps everything, whatever the service-wide\ndefault. The sweeper applies it within `RETENTION_SWEEP_SECONDS`; `npm run compact` at once.\n",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/RetentionRules"
              }
            }
          }
        },
        "responses": {
          "200": {
            "$ref": "#/components/responses/RetentionAnswer"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      },
      "delete": {
        "operationId": "clearTenantRetention",
        "x-access": "admin",
        "summary": "Remove the caller's tenant's policy; the service-wide default applies again (admin keys only)",
        "responses": {
          "200": {
            "$ref": "#/components/responses/RetentionAnswer"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      }
    },
    "/v1/sessions/{sid}/retention": {
      "parameters": [
        {
          "$ref": "#/components/parameters/SessionId"
        }
      ],
      "get": {
        "operationId": "readSessionRetention",
        "x-access": "read",
        "summary": "The retention policy that applies to the session, and its first available version",
        "responses": {
          "200": {
            "$ref": "#/components/responses/SessionRetentionAnswer"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "410": {
            "$ref": "#/components/responses/Gone"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      },
      "put": {
        "operationId": "setSessionRetention",
        "x-access": "write",
        "summary": "Give the session a policy of its own, overriding its tenant's",
        "description": "`{}` (no rule) keeps all of this session's history, whatever its tenant's policy.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/RetentionRules"
              }
            }
          }
        },
        "responses": {
          "200": {
            "$ref": "#/components/responses/SessionRetentionAnswer"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "410": {
            "$ref": "#/components/responses/Gone"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      },
      "delete": {
        "operationId": "clearSessionRetention",
        "x-access": "write",
        "summary": "Remove the session's own policy; its tenant's applies again",
        "responses": {
          "200": {
            "$ref": "#/components/responses/SessionRetentionAnswer"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "410": {
            "$ref": "#/components/responses/Gone"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      }
    },
    "/v1/sessions/{sid}/compact": {
      "parameters": [
        {
          "$ref": "#/components/parameters/SessionId"
        }
      ],
      "post": {
        "operationId": "compactSession",
        "x-access": "write",
        "summary": "Apply retention rules to the session now",
        "description": "What the retention sweeper does, for this session and at once: its oldest kept version\nbecomes its base and every version before it is removed for good (loads of them answer\n410). The body gives the rules to apply this once (the session's policy is not changed);\n`{}` applies the policy that holds for the session (its own, its tenant's or the\nservice's). The head is always kept, versions are not renumbered, and saves go on\nmeanwhile. 409 while another compaction of the session runs (from the sweeper, `npm run\ncompact` or another request): retry later.\n",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/RetentionRules"
              }
            }
          }
        },
        "responses": {
          "200": {
            "$ref": "#/components/responses/Compacted"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "410": {
            "$ref": "#/components/responses/Gone"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      }
    },
    "/v1/sessions/{sid}/export": {
      "parameters": [
        {
          "$ref": "#/components/parameters/SessionId"
        }
      ],
      "get": {
        "operationId": "exportSession",
        "x-access": "read",
        "summary": "The whole session as NDJSON, a file POST .../import takes back (see the README's file format)",
        "description": "Streamed (`application/x-ndjson`), in constant memory whatever the length of the history,\nfrom one consistent snapshot: versions saved while it streams are not in it. The first line\nis a header (`format`, `format_version`, `tenant`, `session_id`, `first_version`,\n`head_version`, `base_chain_hash`, `head_chain_hash`, `created_at`), then one line per\nversion from `first_version` to `head_version`: its metadata (`created_at`, `kind`,\n`message`, `author`, `labels`, `restored_from`, `forked_from`, `ops`, `patch_bytes`, `state_bytes`,\n`state_hash`, `prev_hash`, `chain_hash`: the chain links before it and its own), its stored\n`patch` (null for a version stored whole) and, where\nthe store keeps a checkpoint, its full `state`.\n",
        "responses": {
          "200": {
            "description": "The export.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "application/x-ndjson": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "410": {
            "$ref": "#/components/responses/Gone"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      }
    },
    "/v1/sessions/{sid}/import": {
      "parameters": [
        {
          "$ref": "#/components/parameters/SessionId"
        }
      ],
      "post": {
        "operationId": "importSession",
        "x-access": "write",
        "summary": "Recreate a session from an export, under this id in the caller's tenant",
        "description": "The body is an export (`application/x-ndjson`, optionally with `Content-Encoding` gzip,\ndeflate or br), read as it streams, never held whole: at most `IMPORT_LIMIT_BYTES` (default\n1 GiB, as sent and inflated), else 413. Every line is checked before anything is committed:\neach patch applied to the state before it, each state against its `state_hash` and\n`state_bytes`, each full state against the replayed one, each `prev_hash` against the hash\nchain from the header's `base_chain_hash` and each `chain_hash` against the link its line\nmakes, versions contiguous from `first_version` to the\nheader's `head_version` and times never decreasing. The first line that fails is a 422\nnaming it (`line`) and what disagrees; nothing is written. The versions keep their numbers,\ntimes and metadata; the header's tenant and session id are not used. 409 if the session id\nexists in the tenant (even deleted).\n",
        "requestBody": {
          "required": true,
          "content": {
            "application/x-ndjson": {
              "schema": {
                "description": "An export, one JSON text per line."
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "Imported.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ImportAnswer"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "description": "A line of the file is not what it must be; `line` names the first (from 1) and `detail` what disagrees. Nothing was written.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "application/problem+json": {
                "schema": {
                  "allOf": [
                    {
                      "$ref": "#/components/schemas/Problem"
                    },
                    {
                      "type": "object",
                      "required": [
                        "line"
                      ],
                      "properties": {
                        "line": {
                          "type": "integer",
                          "minimum": 1
                        }
                      }
                    }
                  ]
                }
              }
            }
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      }
    },
    "/v1/keys": {
      "get": {
        "operationId": "listKeys",
        "x-access": "admin",
        "summary": "The keys of the caller's tenant (admin keys only); never a secret",
        "responses": {
          "200": {
            "description": "The keys.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "items"
                  ],
                  "additionalProperties": false,
                  "properties": {
                    "items": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/ApiKey"
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      },
      "post": {
        "operationId": "createKey",
        "x-access": "admin",
        "summary": "Create a key in the caller's tenant (admin keys only); the answer holds the key, shown once",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "required": [
                  "role"
                ],
                "additionalProperties": false,
                "properties": {
                  "role": {
                    "$ref": "#/components/schemas/Role"
                  },
                  "expires_at": {
                    "description": "When the key stops working; must be in the future (else 400).",
                    "$ref": "#/components/schemas/DateTime"
                  },
                  "description": {
                    "type": "string",
                    "maxLength": 200
                  },
                  "rate_per_second": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "maximum": 1000000
                  },
                  "rate_burst": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 1000000
                  }
                }
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "The new key; `token` is the whole key and is not shown again.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "allOf": [
                    {
                      "$ref": "#/components/schemas/ApiKey"
                    },
                    {
                      "type": "object",
                      "required": [
                        "token"
                      ],
                      "properties": {
                        "token": {
                          "type": "string",
                          "pattern": "^sst_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$"
                        }
                      }
                    }
                  ]
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      }
    },
    "/v1/keys/{id}": {
      "parameters": [
        {
          "name": "id",
          "in": "path",
          "required": true,
          "schema": {
            "$ref": "#/components/schemas/KeyId"
          }
        }
      ],
      "delete": {
        "operationId": "revokeKey",
        "x-access": "admin",
        "summary": "Revoke a key of the caller's tenant (admin keys only); effective on the next request everywhere",
        "responses": {
          "204": {
            "description": "Revoked.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/RequestId"
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      }
    },
    "/v1/whoami": {
      "get": {
        "operationId": "whoami",
        "x-access": "read",
        "summary": "The caller's key, its tenant and role (any role); never a secret",
        "description": "What a client needs to offer only what its key may do: the history page hides the write\nactions from a `read` key.\n",
        "responses": {
          "200": {
            "description": "The key.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Identity"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      }
    },
    "/healthz": {
      "get": {
        "operationId": "health",
        "x-access": "public",
        "security": [],
        "summary": "The process is alive",
        "responses": {
          "200": {
            "description": "Alive.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "status"
                  ],
                  "properties": {
                    "status": {
                      "const": "ok"
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          }
        }
      }
    },
    "/readyz": {
      "get": {
        "operationId": "ready",
        "x-access": "public",
        "security": [],
        "summary": "The database is reachable and every migration is applied",
        "description": "With the service's own (managed) MariaDB, also that its data folder is still the one it\nstarted on and its disk has at least 64 MiB free; while either is not so, writes answer 503 too.\n",
        "responses": {
          "200": {
            "description": "Ready.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "status",
                    "migrations"
                  ],
                  "properties": {
                    "status": {
                      "const": "ready"
                    },
                    "migrations": {
                      "type": "integer"
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      }
    },
    "/openapi.yaml": {
      "get": {
        "operationId": "contract",
        "x-access": "public",
        "security": [],
        "summary": "This document",
        "responses": {
          "200": {
            "description": "The OpenAPI document.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "application/yaml": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          }
        }
      }
    },
    "/ui": {
      "get": {
        "operationId": "historyPageRedirect",
        "x-access": "public",
        "security": [],
        "summary": "Redirects to the history page, /ui/",
        "responses": {
          "301": {
            "description": "The page is `/ui/`.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/RequestId"
              },
              "Location": {
                "description": "`/ui/`",
                "schema": {
                  "type": "string",
                  "const": "/ui/"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          }
        }
      }
    },
    "/ui/": {
      "get": {
        "operationId": "historyPage",
        "x-access": "public",
        "security": [],
        "summary": "The history page (HTML), built into the package by `npm run build`",
        "description": "A page to browse sessions and their history, compare and download versions, and restore,\nfork or delete (with a `write` key). It asks for an API key and keeps it in the tab's\n`sessionStorage`; every call it makes is an ordinary `/v1` request with that key. It loads\nnothing from another origin and works offline.\n",
        "responses": {
          "200": {
            "description": "The page.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/RequestId"
              },
              "Content-Security-Policy": {
                "$ref": "#/components/headers/UiContentSecurityPolicy"
              }
            },
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "404": {
            "description": "The page is not built (run `npm run build`).",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/RequestId"
              }
            },
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          }
        }
      }
    },
    "/ui/{file}": {
      "parameters": [
        {
          "name": "file",
          "in": "path",
          "required": true,
          "schema": {
            "type": "string",
            "title": "a file name of the page, such as app.js",
            "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]*$"
          }
        }
      ],
      "get": {
        "operationId": "historyPageFile",
        "x-access": "public",
        "security": [],
        "summary": "A script, style sheet or image of the history page",
        "description": "Only the files the build wrote exist (never a path on disk: no `..`, no subfolder); the\npage itself is `/ui/` only, so `/ui/index.html` is a 404.\n",
        "responses": {
          "200": {
            "description": "The file.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/RequestId"
              },
              "Content-Security-Policy": {
                "$ref": "#/components/headers/UiContentSecurityPolicy"
              }
            },
            "content": {
              "text/javascript": {
                "schema": {
                  "type": "string"
                }
              },
              "text/css": {
                "schema": {
                  "type": "string"
                }
              },
              "image/svg+xml": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        }
      }
    }
  },
  "components": {
    "securitySchemes": {
      "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key, `sst_<id>_<secret>`: from `npm run keys -- create`, the first-start key file, or `POST /v1/keys`."
      }
    },
    "parameters": {
      "SessionId": {
        "name": "sid",
        "in": "path",
        "required": true,
        "schema": {
          "$ref": "#/components/schemas/SessionId"
        }
      },
      "IfMatch": {
        "name": "If-Match",
        "in": "header",
        "description": "`\"<version>\"`: apply only if the head is still that version, else 412 with `current_version`.\n`*`: apply only if the session exists. Compared strongly (RFC 9110 §13.1.1): a weak tag\n(`W/\"3\"`) or a tag the server never sends (`\"03\"`) matches no version (412); a list\n(`\"3\", \"4\"`) matches if any of its tags does. A header that is not `*` or a list of entity\ntags is a 400.\n",
        "schema": {
          "$ref": "#/components/schemas/EntityTags"
        }
      },
      "IfNoneMatchCreate": {
        "name": "If-None-Match",
        "in": "header",
        "description": "`*`: create only; 412 if the session exists.",
        "schema": {
          "type": "string",
          "title": "\"*\" (create only)",
          "const": "*"
        }
      },
      "IdempotencyKey": {
        "name": "Idempotency-Key",
        "in": "header",
        "description": "1 to 255 visible ASCII characters, unique per session. A retry with the same key gets the first\nanswer (the same status and body, byte for byte, with `Idempotent-Replayed: true`) and writes\nnothing; the same key with a different request is a 422. The first answer is kept for the\nserver's `IDEMPOTENCY_TTL_SECONDS` (24 hours by default): a retry after that is a new request,\nand the key may then name another one.\n",
        "schema": {
          "type": "string",
          "title": "1 to 255 visible ASCII characters",
          "pattern": "^[\\x21-\\x7e]{1,255}$"
        }
      },
      "Message": {
        "name": "message",
        "in": "query",
        "description": "A short note shown in history (UTF-8, percent-encoded; bytes that are not UTF-8 are a 400).\nAt most 1000 characters, counted as Unicode code points (an emoji is one), as in bodies.\n",
        "schema": {
          "type": "string",
          "maxLength": 1000
        }
      },
      "Author": {
        "name": "author",
        "in": "query",
        "description": "Who made the change, shown in history. At most 200 characters (Unicode code points).",
        "schema": {
          "type": "string",
          "maxLength": 200
        }
      },
      "Labels": {
        "name": "labels",
        "in": "query",
        "description": "Labels of the new version, which history shows and can filter on (`/history?labels=`): a\nJSON object of at most 64 names to string values, percent-encoded\n(`labels={\"step\":\"3\",\"source\":\"loop\"}`), at most 1000 characters in all (Unicode code\npoints, as `message`: the request line stays within what an HTTP server reads). A name is\n1 to 64 characters of `A-Z a-z 0-9 _ . : -`. A write that changes nothing writes no\nversion, so its labels are not kept; restore and fork versions carry none. Text that is\nnot such an object is a 400.\n",
        "schema": {
          "type": "string",
          "title": "a JSON object",
          "maxLength": 1000
        }
      }
    },
    "headers": {
      "RequestId": {
        "description": "The request's id, on every answer: the request's own `X-Request-Id` when it is 1 to 128\ncharacters of `A-Z a-z 0-9 . _ : @ + = / -`, else (none sent, or another value) one the\nserver made (a UUID). The server's log line for the request carries it, and so does a\nproblem body (`request_id`).\n",
        "schema": {
          "type": "string",
          "pattern": "^[A-Za-z0-9._:@+=/-]{1,128}$"
        }
      },
      "UiContentSecurityPolicy": {
        "description": "`default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self';\nbase-uri 'none'; form-action 'none'; frame-ancestors 'none'`: the page runs only its own\nfiles (no inline script or style) and talks to this origin only. Sent with\n`X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` and `Cache-Control: no-cache`.\n",
        "schema": {
          "type": "string"
        }
      },
      "ETag": {
        "description": "The version, as a strong entity tag (`\"3\"`).",
        "schema": {
          "type": "string",
          "pattern": "^\"[0-9]+\"$"
        }
      },
      "SnapshotVersion": {
        "description": "The version of the state in the body.",
        "schema": {
          "type": "string",
          "pattern": "^[0-9]+$"
        }
      },
      "LastModified": {
        "description": "When that version was saved (HTTP-date).",
        "schema": {
          "type": "string"
        }
      },
      "Location": {
        "description": "The new version's event (`/v1/sessions/{sid}/versions/{n}`); for a fork, the new session's state.",
        "schema": {
          "type": "string"
        }
      },
      "IdempotentReplayed": {
        "description": "`true` when this answer is the stored answer to an earlier request with the same Idempotency-Key.",
        "schema": {
          "type": "string",
          "const": "true"
        }
      }
    },
    "responses": {
      "Written": {
        "description": "A new version was written.",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/RequestId"
          },
          "ETag": {
            "$ref": "#/components/headers/ETag"
          },
          "Location": {
            "$ref": "#/components/headers/Location"
          },
          "Idempotent-Replayed": {
            "$ref": "#/components/headers/IdempotentReplayed"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/WriteAnswer"
            }
          }
        }
      },
      "Unchanged": {
        "description": "The state equals the head; no version was written (`changed` is false).",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/RequestId"
          },
          "ETag": {
            "$ref": "#/components/headers/ETag"
          },
          "Idempotent-Replayed": {
            "$ref": "#/components/headers/IdempotentReplayed"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/WriteAnswer"
            }
          }
        }
      },
      "Unauthorized": {
        "description": "No key, a malformed Authorization header, or a key that is unknown, revoked or expired. Answered before any other work.",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/RequestId"
          },
          "WWW-Authenticate": {
            "description": "`Bearer realm=\"session-store\"` (with `error=\"invalid_token\"` when a key was sent).",
            "schema": {
              "type": "string"
            }
          }
        },
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Problem"
            }
          }
        }
      },
      "Forbidden": {
        "description": "The key's role does not allow this (a `read` key writing; keys managed without `admin`).",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/RequestId"
          }
        },
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Problem"
            }
          }
        }
      },
      "TooManyRequests": {
        "description": "The key is over its rate limit (off unless configured).",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/RequestId"
          },
          "Retry-After": {
            "description": "Whole seconds until a request would be admitted (at most 86400).",
            "schema": {
              "type": "string",
              "pattern": "^[0-9]+$"
            }
          }
        },
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Problem"
            }
          }
        }
      },
      "ServiceUnavailable": {
        "description": "The database cannot serve the request now (not reachable, refusing connections, a lock wait or\ndeadlock that outlasted the retries, a node not ready, read-only, out of disk space), or, on\n`/readyz`, migrations are not applied. Nothing was written, except in one case the detail\nnames: the connection was lost while the write was being committed, so it may be stored.\nRetrying a write with the same `Idempotency-Key` is safe in every case: a stored write\nanswers as it did the first time, an unstored one is written once.\n",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/RequestId"
          },
          "Retry-After": {
            "description": "Whole seconds to wait before retrying.",
            "required": true,
            "schema": {
              "type": "string",
              "pattern": "^[0-9]+$"
            }
          }
        },
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Problem"
            }
          }
        }
      },
      "BadRequest": {
        "description": "Malformed request: a parameter, header or body member that breaks its schema in this\ndocument (a malformed patch or patch path, a bad session id...), an unknown or repeated query\nparameter, a precondition header the write does not take, a body that is not UTF-8, a\ncorrupt compressed body, invalid JSON, a number a double cannot hold exactly, nesting deeper\nthan MAX_JSON_DEPTH, an object key `__proto__`, an instant out of range, a cursor this server\ndid not give out, both `version` and `at`, a key expiry already past.\n",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/RequestId"
          }
        },
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Problem"
            }
          }
        }
      },
      "NotFound": {
        "description": "No such session, or no such route. On reads, also a version the session does not have or an\ninstant before its first save (restore and fork answer those with 422).\n",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/RequestId"
          }
        },
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Problem"
            }
          }
        }
      },
      "Conflict": {
        "description": "The fork or import target exists; or (compact) another compaction of the session is running.",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/RequestId"
          }
        },
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Problem"
            }
          }
        }
      },
      "RetentionAnswer": {
        "description": "The tenant's policy and where it comes from.",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/RequestId"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/RetentionPolicy"
            }
          }
        }
      },
      "Compacted": {
        "description": "What the compaction removed, and the session's first available version now.",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/RequestId"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/CompactionAnswer"
            }
          }
        }
      },
      "SessionRetentionAnswer": {
        "description": "The policy that applies to the session, where it comes from, and the session's first available version.",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/RequestId"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "allOf": [
                {
                  "$ref": "#/components/schemas/RetentionPolicy"
                },
                {
                  "type": "object",
                  "required": [
                    "session_id",
                    "first_version",
                    "head_version"
                  ],
                  "properties": {
                    "session_id": {
                      "$ref": "#/components/schemas/SessionId"
                    },
                    "first_version": {
                      "$ref": "#/components/schemas/Version"
                    },
                    "head_version": {
                      "$ref": "#/components/schemas/Version"
                    }
                  }
                }
              ]
            }
          }
        }
      },
      "Gone": {
        "description": "The session was deleted (tombstoned); or the version or instant asked for was removed by the session's retention policy, and then `first_version` is the session's first available version.",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/RequestId"
          }
        },
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Problem"
            }
          }
        }
      },
      "PreconditionFailed": {
        "description": "If-Match or If-None-Match did not hold; `current_version` is the head (null if none).",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/RequestId"
          }
        },
        "content": {
          "application/problem+json": {
            "schema": {
              "allOf": [
                {
                  "$ref": "#/components/schemas/Problem"
                },
                {
                  "type": "object",
                  "required": [
                    "current_version"
                  ],
                  "properties": {
                    "current_version": {
                      "type": [
                        "integer",
                        "null"
                      ]
                    }
                  }
                }
              ]
            }
          }
        }
      },
      "PayloadTooLarge": {
        "description": "The body is larger than BODY_LIMIT_BYTES (default 16 MiB, counted once inflated), or than\n64 KiB for a restore, fork or key request; or a patch would make the state larger than\nBODY_LIMIT_BYTES, or copies, moves, removes or compares more than 4 × BODY_LIMIT_BYTES of\nvalues in all, each array element an insertion or removal shifts counting as one byte\n(`operation`: the index of the operation that went past it).\n",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/RequestId"
          }
        },
        "content": {
          "application/problem+json": {
            "schema": {
              "allOf": [
                {
                  "$ref": "#/components/schemas/Problem"
                },
                {
                  "type": "object",
                  "properties": {
                    "operation": {
                      "type": "integer",
                      "minimum": 0
                    }
                  }
                }
              ]
            }
          }
        }
      },
      "UnsupportedMediaType": {
        "description": "The Content-Type is not the one the route takes, its charset is not UTF-8, or the\nContent-Encoding is not gzip, deflate, br or identity. A route that takes no body (a\nDELETE) still reads a JSON one to refuse it (400), so this holds for it too, and so does\nthe body limit (413).\n",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/RequestId"
          }
        },
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Problem"
            }
          }
        }
      },
      "Unprocessable": {
        "description": "Well-formed but not applicable: a patch that does not apply to the head, or would nest the\nstate deeper than MAX_JSON_DEPTH (`current_version`, and `operation`, the index of the failing\noperation), a restore or fork version (or restore instant) the session does not have, a state\nthe store cannot prove it would read back exactly, or an Idempotency-Key reused with a\ndifferent request.\n",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/RequestId"
          }
        },
        "content": {
          "application/problem+json": {
            "schema": {
              "allOf": [
                {
                  "$ref": "#/components/schemas/Problem"
                },
                {
                  "type": "object",
                  "properties": {
                    "current_version": {
                      "type": "integer"
                    },
                    "operation": {
                      "type": "integer"
                    }
                  }
                }
              ]
            }
          }
        }
      }
    },
    "schemas": {
      "Identity": {
        "type": "object",
        "required": [
          "key_id",
          "tenant",
          "role"
        ],
        "additionalProperties": false,
        "properties": {
          "key_id": {
            "$ref": "#/components/schemas/KeyId"
          },
          "tenant": {
            "type": "string"
          },
          "role": {
            "$ref": "#/components/schemas/Role"
          }
        }
      },
      "Role": {
        "type": "string",
        "enum": [
          "read",
          "write",
          "admin"
        ]
      },
      "ApiKey": {
        "type": "object",
        "required": [
          "id",
          "tenant",
          "role",
          "description",
          "created_at",
          "last_used_at",
          "expires_at",
          "revoked_at",
          "rate_per_second",
          "rate_burst"
        ],
        "properties": {
          "id": {
            "$ref": "#/components/schemas/KeyId"
          },
          "tenant": {
            "type": "string"
          },
          "role": {
            "$ref": "#/components/schemas/Role"
          },
          "description": {
            "type": [
              "string",
              "null"
            ]
          },
          "created_at": {
            "$ref": "#/components/schemas/Instant"
          },
          "last_used_at": {
            "description": "To the minute.",
            "oneOf": [
              {
                "$ref": "#/components/schemas/Instant"
              },
              {
                "type": "null"
              }
            ]
          },
          "expires_at": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/Instant"
              },
              {
                "type": "null"
              }
            ]
          },
          "revoked_at": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/Instant"
              },
              {
                "type": "null"
              }
            ]
          },
          "rate_per_second": {
            "type": [
              "number",
              "null"
            ]
          },
          "rate_burst": {
            "type": [
              "integer",
              "null"
            ]
          }
        }
      },
      "SessionId": {
        "type": "string",
        "title": "a session id, 1 to 128 characters of A-Z a-z 0-9 . _ : @ - starting with a letter or digit",
        "pattern": "^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"
      },
      "KeyId": {
        "type": "string",
        "title": "a key id, 12 characters of 0-9 a-f",
        "pattern": "^[0-9a-f]{12}$"
      },
      "Version": {
        "type": "integer",
        "description": "A version number (versions are contiguous from 1).",
        "minimum": 1,
        "maximum": 4294967295
      },
      "DateTime": {
        "type": "string",
        "title": "an RFC 3339 date-time such as 2026-01-31T12:00:00Z",
        "description": "RFC 3339 (`T` or a space between date and time, any offset, up to nanoseconds, kept to the\nmicrosecond). Once its offset is applied it must fall from `0001-01-01T00:00:00Z` to\n`9999-12-31T23:59:59.999999Z` (else 400). In a query an unencoded `+` reads as a space, so\n`+02:00` may be sent as is.\n",
        "format": "date-time"
      },
      "EntityTags": {
        "type": "string",
        "title": "\"*\" or entity tags such as \"3\" (a version, in double quotes)",
        "description": "`*`, or a comma-separated list of entity tags (RFC 9110 §8.8.3), strong (`\"3\"`) or weak (`W/\"3\"`).",
        "pattern": "^(\\*|[ \\t,]*(W/)?\"[\\x21\\x23-\\x7e\\x80-\\xff]*\"([ \\t]*,[ \\t,]*(W/)?\"[\\x21\\x23-\\x7e\\x80-\\xff]*\")*[ \\t,]*)$"
      },
      "State": {
        "description": "Any JSON value whose numbers a double holds exactly (see the conventions above)."
      },
      "Instant": {
        "type": "string",
        "description": "RFC 3339, UTC, microseconds.",
        "pattern": "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}Z$"
      },
      "Hash": {
        "type": "string",
        "description": "SHA-256 (hex) of the state's canonical JSON (object keys sorted).",
        "pattern": "^[0-9a-f]{64}$"
      },
      "Kind": {
        "type": "string",
        "enum": [
          "save",
          "patch",
          "restore",
          "fork"
        ]
      },
      "Problem": {
        "type": "object",
        "required": [
          "type",
          "title",
          "status",
          "detail"
        ],
        "properties": {
          "type": {
            "type": "string"
          },
          "title": {
            "type": "string"
          },
          "status": {
            "type": "integer"
          },
          "detail": {
            "type": "string"
          },
          "request_id": {
            "type": "string",
            "pattern": "^[A-Za-z0-9._:@+=/-]{1,128}$",
            "description": "The request's id, as in the `X-Request-Id` header of the answer (and in the server's log).\nThis server always sends it; a problem made by a proxy in between may lack it.\n"
          },
          "first_version": {
            "type": "integer",
            "minimum": 1,
            "description": "In a 410 for a version or instant retention removed, the session's first available version."
          }
        }
      },
      "RetentionRules": {
        "type": "object",
        "additionalProperties": false,
        "description": "How much history to keep; a rule left out is not applied, and `{}` keeps everything. The head is always kept; with both rules a version goes only when both let it go.",
        "properties": {
          "keep_versions": {
            "type": "integer",
            "minimum": 1,
            "maximum": 1000000000,
            "description": "Keep the newest this many versions."
          },
          "keep_days": {
            "type": "integer",
            "minimum": 1,
            "maximum": 36500,
            "description": "Keep the versions saved in the last this many days (by the database clock)."
          }
        }
      },
      "CompactionAnswer": {
        "type": "object",
        "required": [
          "session_id",
          "head_version",
          "first_version_before",
          "first_version",
          "events_removed",
          "checkpoints_removed",
          "bytes_reclaimed"
        ],
        "properties": {
          "session_id": {
            "$ref": "#/components/schemas/SessionId"
          },
          "head_version": {
            "$ref": "#/components/schemas/Version"
          },
          "first_version_before": {
            "$ref": "#/components/schemas/Version"
          },
          "first_version": {
            "$ref": "#/components/schemas/Version"
          },
          "events_removed": {
            "type": "integer",
            "minimum": 0
          },
          "checkpoints_removed": {
            "type": "integer",
            "minimum": 0
          },
          "bytes_reclaimed": {
            "type": "integer",
            "description": "Stored bytes (patches and checkpoint bodies) removed, less the new base's checkpoint; negative when the base's checkpoint is larger than what went."
          }
        }
      },
      "RetentionPolicy": {
        "type": "object",
        "required": [
          "source"
        ],
        "properties": {
          "source": {
            "type": "string",
            "enum": [
              "session",
              "tenant",
              "service"
            ],
            "description": "Where the policy comes from: the session's own, its tenant's, or the service-wide default (configuration)."
          },
          "keep_versions": {
            "type": "integer",
            "minimum": 1
          },
          "keep_days": {
            "type": "integer",
            "minimum": 1
          }
        }
      },
      "ImportAnswer": {
        "type": "object",
        "required": [
          "session_id",
          "first_version",
          "head_version",
          "versions",
          "checkpoints"
        ],
        "additionalProperties": false,
        "properties": {
          "session_id": {
            "$ref": "#/components/schemas/SessionId"
          },
          "first_version": {
            "$ref": "#/components/schemas/Version"
          },
          "head_version": {
            "$ref": "#/components/schemas/Version"
          },
          "versions": {
            "type": "integer",
            "minimum": 1
          },
          "checkpoints": {
            "type": "integer",
            "minimum": 1
          }
        }
      },
      "WriteAnswer": {
        "type": "object",
        "required": [
          "session_id",
          "version",
          "created_at",
          "changed",
          "kind",
          "ops",
          "patch_bytes",
          "state_bytes",
          "state_hash"
        ],
        "additionalProperties": false,
        "properties": {
          "session_id": {
            "$ref": "#/components/schemas/SessionId"
          },
          "version": {
            "type": "integer",
            "minimum": 1,
            "description": "The new version, or the head when nothing changed."
          },
          "created_at": {
            "$ref": "#/components/schemas/Instant"
          },
          "changed": {
            "type": "boolean"
          },
          "kind": {
            "$ref": "#/components/schemas/Kind"
          },
          "ops": {
            "type": "integer",
            "minimum": 0,
            "description": "Operations in the stored patch."
          },
          "patch_bytes": {
            "type": "integer",
            "minimum": 0
          },
          "state_bytes": {
            "type": "integer",
            "minimum": 0,
            "description": "Size of the state's canonical JSON."
          },
          "state_hash": {
            "$ref": "#/components/schemas/Hash"
          },
          "restored_from": {
            "type": "integer"
          },
          "forked_from": {
            "$ref": "#/components/schemas/ForkSource"
          }
        }
      },
      "ForkSource": {
        "type": "object",
        "required": [
          "session_id",
          "version"
        ],
        "additionalProperties": false,
        "properties": {
          "session_id": {
            "$ref": "#/components/schemas/SessionId"
          },
          "version": {
            "type": "integer"
          }
        }
      },
      "HistoryItem": {
        "type": "object",
        "required": [
          "version",
          "created_at",
          "kind",
          "ops",
          "patch_bytes",
          "state_bytes",
          "state_hash"
        ],
        "additionalProperties": false,
        "properties": {
          "version": {
            "type": "integer",
            "minimum": 1
          },
          "created_at": {
            "$ref": "#/components/schemas/Instant"
          },
          "kind": {
            "$ref": "#/components/schemas/Kind"
          },
          "ops": {
            "type": "integer"
          },
          "patch_bytes": {
            "type": "integer"
          },
          "state_bytes": {
            "type": "integer"
          },
          "state_hash": {
            "$ref": "#/components/schemas/Hash"
          },
          "message": {
            "type": "string"
          },
          "author": {
            "type": "string"
          },
          "restored_from": {
            "type": "integer"
          },
          "forked_from": {
            "$ref": "#/components/schemas/ForkSource"
          },
          "labels": {
            "$ref": "#/components/schemas/Labels"
          }
        }
      },
      "Labels": {
        "type": "object",
        "description": "The labels the version was written with (`labels` of PUT and PATCH); absent when none.",
        "maxProperties": 64,
        "propertyNames": {
          "pattern": "^[A-Za-z0-9_.:-]{1,64}$"
        },
        "additionalProperties": {
          "type": "string"
        }
      },
      "HistoryPage": {
        "type": "object",
        "required": [
          "items",
          "next",
          "first_version"
        ],
        "additionalProperties": false,
        "properties": {
          "first_version": {
            "$ref": "#/components/schemas/Version",
            "description": "The oldest version the session still has (1, or the base its retention policy compacted it to)."
          },
          "items": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/HistoryItem"
            }
          },
          "next": {
            "type": [
              "integer",
              "null"
            ],
            "description": "The `before` of the next (older) page; null on the last page."
          }
        }
      },
      "VersionDetail": {
        "type": "object",
        "required": [
          "version",
          "created_at",
          "kind",
          "ops",
          "patch_bytes",
          "state_bytes",
          "state_hash",
          "prev_hash",
          "patch"
        ],
        "properties": {
          "version": {
            "type": "integer"
          },
          "created_at": {
            "$ref": "#/components/schemas/Instant"
          },
          "kind": {
            "$ref": "#/components/schemas/Kind"
          },
          "ops": {
            "type": "integer"
          },
          "patch_bytes": {
            "type": "integer"
          },
          "state_bytes": {
            "type": "integer"
          },
          "state_hash": {
            "$ref": "#/components/schemas/Hash"
          },
          "prev_hash": {
            "type": "string",
            "pattern": "^[0-9a-f]{64}$",
            "description": "The chain hash of the previous event (zeros for version 1)."
          },
          "message": {
            "type": "string"
          },
          "author": {
            "type": "string"
          },
          "restored_from": {
            "type": "integer"
          },
          "forked_from": {
            "$ref": "#/components/schemas/ForkSource"
          },
          "labels": {
            "$ref": "#/components/schemas/Labels"
          },
          "patch": {
            "$ref": "#/components/schemas/JsonPatch"
          }
        },
        "additionalProperties": false
      },
      "FeedVersion": {
        "type": "object",
        "description": "The data of a `version` event of `/watch`: the version's history entry, and either `patch`\n(from the version before; for version 1 an `add` of the whole state at the root) or\n`load_state: true` when that patch is larger than `FEED_PATCH_LIMIT_BYTES`.\n",
        "required": [
          "version",
          "created_at",
          "kind",
          "ops",
          "patch_bytes",
          "state_bytes",
          "state_hash"
        ],
        "additionalProperties": false,
        "oneOf": [
          {
            "required": [
              "patch"
            ]
          },
          {
            "required": [
              "load_state"
            ]
          }
        ],
        "properties": {
          "version": {
            "type": "integer",
            "minimum": 1
          },
          "created_at": {
            "$ref": "#/components/schemas/Instant"
          },
          "kind": {
            "$ref": "#/components/schemas/Kind"
          },
          "ops": {
            "type": "integer"
          },
          "patch_bytes": {
            "type": "integer"
          },
          "state_bytes": {
            "type": "integer"
          },
          "state_hash": {
            "$ref": "#/components/schemas/Hash"
          },
          "message": {
            "type": "string"
          },
          "author": {
            "type": "string"
          },
          "restored_from": {
            "type": "integer"
          },
          "forked_from": {
            "$ref": "#/components/schemas/ForkSource"
          },
          "labels": {
            "$ref": "#/components/schemas/Labels"
          },
          "patch": {
            "$ref": "#/components/schemas/JsonPatch"
          },
          "load_state": {
            "const": true
          }
        }
      },
      "FeedDeleted": {
        "type": "object",
        "description": "The data of the `deleted` event that ends a `/watch` stream.",
        "required": [
          "purged"
        ],
        "additionalProperties": false,
        "properties": {
          "purged": {
            "type": "boolean",
            "description": "true when every row of the session was removed (`DELETE ?purge=true`); false for a tombstone."
          },
          "deleted_at": {
            "$ref": "#/components/schemas/Instant"
          },
          "version": {
            "type": "integer",
            "description": "The session's last version (a tombstone only)."
          }
        }
      },
      "JsonPatch": {
        "type": "array",
        "description": "RFC 6902 JSON Patch. Members an operation does not define are ignored.",
        "items": {
          "$ref": "#/components/schemas/JsonPatchOperation"
        }
      },
      "JsonPatchOperation": {
        "description": "One RFC 6902 operation, with the members its `op` needs; others are ignored.",
        "type": "object",
        "required": [
          "op"
        ],
        "discriminator": {
          "propertyName": "op"
        },
        "oneOf": [
          {
            "type": "object",
            "required": [
              "op",
              "path",
              "value"
            ],
            "properties": {
              "op": {
                "enum": [
                  "add",
                  "replace",
                  "test"
                ]
              },
              "path": {
                "$ref": "#/components/schemas/JsonPointer"
              },
              "value": {}
            }
          },
          {
            "type": "object",
            "required": [
              "op",
              "path"
            ],
            "properties": {
              "op": {
                "const": "remove"
              },
              "path": {
                "$ref": "#/components/schemas/JsonPointer"
              }
            }
          },
          {
            "type": "object",
            "required": [
              "op",
              "path",
              "from"
            ],
            "properties": {
              "op": {
                "enum": [
                  "move",
                  "copy"
                ]
              },
              "path": {
                "$ref": "#/components/schemas/JsonPointer"
              },
              "from": {
                "$ref": "#/components/schemas/JsonPointer"
              }
            }
          }
        ]
      },
      "JsonPointer": {
        "type": "string",
        "title": "a JSON Pointer (RFC 6901) such as /a/0, with ~ only as ~0 or ~1 and no token __proto__",
        "description": "RFC 6901 JSON Pointer; `~` only as `~0` or `~1`, and no token `__proto__` (it cannot be stored safely).",
        "pattern": "^(/([^~/]|~[01])*)*$",
        "not": {
          "pattern": "/__proto__(/|$)"
        }
      },
      "RestoreRequest": {
        "type": "object",
        "additionalProperties": false,
        "oneOf": [
          {
            "required": [
              "version"
            ]
          },
          {
            "required": [
              "at"
            ]
          }
        ],
        "properties": {
          "version": {
            "$ref": "#/components/schemas/Version"
          },
          "at": {
            "$ref": "#/components/schemas/DateTime"
          },
          "message": {
            "type": "string",
            "maxLength": 1000
          },
          "author": {
            "type": "string",
            "maxLength": 200
          }
        }
      },
      "ForkRequest": {
        "type": "object",
        "required": [
          "to"
        ],
        "additionalProperties": false,
        "properties": {
          "to": {
            "$ref": "#/components/schemas/SessionId"
          },
          "version": {
            "$ref": "#/components/schemas/Version"
          },
          "message": {
            "type": "string",
            "maxLength": 1000
          },
          "author": {
            "type": "string",
            "maxLength": 200
          }
        }
      },
      "SessionItem": {
        "type": "object",
        "required": [
          "session_id",
          "version",
          "created_at",
          "updated_at",
          "state_bytes"
        ],
        "additionalProperties": false,
        "properties": {
          "session_id": {
            "$ref": "#/components/schemas/SessionId"
          },
          "version": {
            "type": "integer"
          },
          "created_at": {
            "$ref": "#/components/schemas/Instant"
          },
          "updated_at": {
            "$ref": "#/components/schemas/Instant"
          },
          "state_bytes": {
            "type": "integer"
          }
        }
      },
      "SessionPage": {
        "type": "object",
        "required": [
          "items",
          "next"
        ],
        "additionalProperties": false,
        "properties": {
          "items": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/SessionItem"
            }
          },
          "next": {
            "type": [
              "string",
              "null"
            ]
          }
        }
      }
    }
  }
};
