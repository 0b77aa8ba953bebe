// Shared types for every Zigzag service. Rules (see thrift/README.md):
// field ids are forever (never renumber, never reuse a removed id), no `required`,
// no i64 (ids are decimal strings, big counters are doubles), prices are decimal
// strings, timestamps are ISO-8601 UTC strings with microseconds.
namespace js zigzag.common

/** Opaque entity id: the decimal digits of the database's BIGINT UNSIGNED key ("42"). */
typedef string Id
/** Exact decimal amount as text, e.g. "12900.00" (never a float). */
typedef string Decimal
/** ISO-8601 UTC timestamp with microseconds, e.g. "2026-11-22T01:02:03.123456Z". */
typedef string Timestamp

/** Who is calling, on whose behalf. */
struct Actor {
  /** user | merchant | admin | system | anonymous */
  1: optional string kind
  2: optional Id id
  /** shop the merchant acts for (merchant actors only) */
  3: optional Id shopId
}

/** First argument of every method. */
struct RequestContext {
  1: optional string requestId
  2: optional Actor actor
  /** The caller's deadline, sent as the remaining budget in ms (relative, so clock skew does not matter). */
  3: optional i32 timeoutMs
}

struct PageRequest {
  /** 1..100; the service applies its default when absent */
  1: optional i32 limit
  2: optional i32 offset
  /** opaque keyset cursor from PageInfo.nextCursor; wins over offset */
  3: optional string cursor
}

struct PageInfo {
  1: i32 limit
  2: i32 offset
  /** total matches when the service counted them */
  3: optional i32 total
  4: optional string nextCursor
}

/** A key/value count, for batch counters keyed by id. */
struct IdCount {
  1: Id id
  2: double count
}

// Typed exceptions. `code` is the AppError code of lib/errors.ts (NOT_FOUND,
// VALIDATION_FAILED, INVALID_CREDENTIALS, ...), so callers rebuild the same error on
// their side; `message` is safe to show; `detailsJson` is optional structured detail
// as JSON; `status` is the HTTP status the error answers with at an HTTP edge.
exception NotFound {
  1: string code
  2: string message
  3: optional string detailsJson
  4: optional i32 status
}

exception InvalidArgument {
  1: string code
  2: string message
  3: optional string detailsJson
  4: optional i32 status
}

exception Conflict {
  1: string code
  2: string message
  3: optional string detailsJson
  4: optional i32 status
}

/** Authentication or permission failures (UNAUTHENTICATED, FORBIDDEN). */
exception Unauthorized {
  1: string code
  2: string message
  3: optional string detailsJson
  4: optional i32 status
}

/** The service (or one it depends on) cannot answer now: INTERNAL, SERVICE_UNAVAILABLE, DEADLINE_EXCEEDED, ... Never carries internals. */
exception Unavailable {
  1: string code
  2: string message
  3: optional string detailsJson
  4: optional i32 status
}

struct HealthStatus {
  /** ok | degraded | down */
  1: string status
  2: string serviceName
  3: optional string version
  /** dependency name -> ok | down */
  4: optional map<string, string> checks
}

/** Every service extends this: liveness (ping) and readiness (health). */
service BaseService {
  string ping()
  HealthStatus health(1: RequestContext ctx)
    throws (1: NotFound notFound, 2: InvalidArgument invalid, 3: Conflict conflict, 4: Unauthorized unauthorized, 5: Unavailable unavailable)
}
