/**
 * Registry failures as berth's error kinds, worded as Docker words them:
 * - an error body `{"errors":[{"code","message"}]}` becomes `manifest unknown: <message>` (the
 *   code lower-cased with spaces, then the message, as distribution's errcode does), its kind from
 *   the code: *_UNKNOWN → NotFound, *_INVALID → Invalid, the rest ApiError with the HTTP status;
 * - a registry that cannot be reached becomes one RegistryUnreachableError naming it:
 *   `cannot reach registry 127.0.0.1:5999: connection refused`.
 */
import {
  ApiError,
  ConflictError,
  InvalidRequestError,
  NotFoundError,
  type RuntimeError,
} from "../../errors.js";

/** No connection, TLS failure, DNS failure or no answer in time. */
export class RegistryUnreachableError extends ApiError {
  override readonly code: string = "REGISTRY_UNREACHABLE";
}

const NOT_FOUND_CODES = new Set(["MANIFEST_UNKNOWN", "NAME_UNKNOWN", "BLOB_UNKNOWN", "BLOB_UPLOAD_UNKNOWN"]);
const INVALID_CODES = new Set([
  "BLOB_UPLOAD_INVALID",
  "DIGEST_INVALID",
  "MANIFEST_BLOB_UNKNOWN",
  "MANIFEST_INVALID",
  "MANIFEST_UNVERIFIED",
  "NAME_INVALID",
  "SIZE_INVALID",
  "TAG_INVALID",
  "PAGINATION_NUMBER_INVALID",
  "RANGE_INVALID",
  "UNSUPPORTED",
]);

export interface RegistryErrorEntry {
  readonly code: string;
  readonly message: string;
}

/** The entries of an error body, or none when it is not one. */
export function parseErrorBody(text: string): RegistryErrorEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return [];
  }
  const errors = typeof raw === "object" && raw !== null ? (raw as { errors?: unknown }).errors : undefined;
  if (!Array.isArray(errors)) return [];
  const out: RegistryErrorEntry[] = [];
  for (const entry of errors) {
    if (typeof entry !== "object" || entry === null) continue;
    const { code, message } = entry as { code?: unknown; message?: unknown };
    out.push({
      code: typeof code === "string" ? code : "UNKNOWN",
      message: typeof message === "string" ? message : "",
    });
  }
  return out;
}

/** `MANIFEST_UNKNOWN` + `manifest unknown` → `manifest unknown: manifest unknown`. */
export function errorSentence(entry: RegistryErrorEntry): string {
  const words = entry.code.toLowerCase().replace(/_/g, " ");
  return entry.message === "" ? words : `${words}: ${entry.message}`;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: "bad request",
  401: "unauthorized",
  403: "denied",
  404: "not found",
  405: "method not allowed",
  409: "conflict",
  416: "range not satisfiable",
  429: "too many requests",
  500: "internal server error",
  502: "bad gateway",
  503: "service unavailable",
  504: "gateway timeout",
};

/**
 * The error for a registry answer with a failing status. `prefix` says what was asked
 * (`manifest for busybox:nope not found`, `127.0.0.1:5000/app`).
 */
export function registryError(status: number, bodyText: string, prefix: string): RuntimeError {
  const entries = parseErrorBody(bodyText);
  const detail =
    entries.length > 0
      ? entries.map(errorSentence).join("; ")
      : `${STATUS_TEXT[status] ?? "unexpected answer"} (HTTP ${status})`;
  const message = `${prefix}: ${detail}`;
  const code = entries[0]?.code;
  const options = { status };
  if (code !== undefined ? NOT_FOUND_CODES.has(code) : status === 404)
    return new NotFoundError(message, options);
  if (code !== undefined ? INVALID_CODES.has(code) : status === 400)
    return new InvalidRequestError(message, options);
  if (status === 409) return new ConflictError(message, options);
  return new ApiError(message, options);
}

/** Node's error codes for failed connections, as the short phrase Go's net package prints. */
const REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by peer",
  EHOSTUNREACH: "no route to host",
  ENETUNREACH: "network is unreachable",
  ETIMEDOUT: "connection timed out",
  ENOTFOUND: "no such host",
  EAI_AGAIN: "temporary failure in name resolution",
  EPIPE: "broken pipe",
  EPROTO: "TLS handshake failed (a plain HTTP registry must be listed in insecure-registries)",
  ERR_SSL_WRONG_VERSION_NUMBER:
    "TLS handshake failed (a plain HTTP registry must be listed in insecure-registries)",
  UND_ERR_SOCKET: "connection closed",
};

/** A short reason for a failed request: a known phrase, a TLS problem, else the error's message. */
export function connectionReason(error: unknown): string {
  const err = error as { code?: unknown; message?: unknown; cause?: unknown } | null;
  const code = typeof err?.code === "string" ? err.code : undefined;
  if (code !== undefined && REASONS[code] !== undefined) return REASONS[code];
  if (code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(code)) {
    return `TLS: ${typeof err?.message === "string" ? err.message : code}`;
  }
  if (err?.cause !== undefined && err.cause !== error) return connectionReason(err.cause);
  return typeof err?.message === "string" && err.message !== "" ? err.message : String(error);
}

export function unreachable(registry: string, reason: string, cause?: unknown): RegistryUnreachableError {
  return new RegistryUnreachableError(`cannot reach registry ${registry}: ${reason}`, { cause });
}
