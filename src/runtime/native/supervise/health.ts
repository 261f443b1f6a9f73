/**
 * Healthchecks as the Docker Engine runs them (moby daemon/health.go), as pure state transitions:
 * the supervisor owns the timers and the probes, this module what they mean.
 *
 * - The check is the service's merged over the image's (daemon/commit.go): an empty test inherits
 *   the image's, a zero duration or retry count the image's. `["NONE"]` (or no test) disables it;
 *   `["CMD", ...]` runs the arguments, `["CMD-SHELL", cmd]` runs `/bin/sh -c cmd`; another first
 *   word disables it, as Docker does with a warning.
 * - Zero durations take Docker's defaults: interval 30 s, timeout 30 s, start period 0,
 *   start interval 5 s; retries ≤ 0 means 3.
 * - A run starts `starting` with no failing streak (the log of earlier runs is kept).
 * - The next probe comes after `interval`, or `start_interval` while `starting` within the start
 *   period.
 * - Exit 0 → `healthy`, streak 0. Anything else (1, another code, a timeout, an exec failure) adds to
 *   the streak, except while `starting` inside the start period; a streak ≥ retries → `unhealthy`.
 * - The output is cut at 4096 bytes (`...` says so); the last 5 results are kept.
 */
import type { HealthcheckSpec, HealthStatus } from "../../runtime.js";

export const DEFAULT_INTERVAL_MS = 30_000;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_START_INTERVAL_MS = 5_000;
export const DEFAULT_RETRIES = 3;
export const MAX_LOG_ENTRIES = 5;
export const MAX_OUTPUT_BYTES = 4096;

export interface HealthConfig {
  /** The probe's argv (CMD-SHELL already turned into `/bin/sh -c`). */
  readonly argv: readonly string[];
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly startPeriodMs: number;
  readonly startIntervalMs: number;
  readonly retries: number;
}

export interface ProbeResult {
  /** -1 when the probe timed out or could not run, as Docker reports it. */
  readonly exitCode: number;
  readonly output: string;
  /** ISO times. */
  readonly start: string;
  readonly end: string;
}

export interface HealthState {
  readonly status: HealthStatus;
  readonly failingStreak: number;
  /** Oldest first, at most MAX_LOG_ENTRIES. */
  readonly log: readonly ProbeResult[];
  /** The `startedAt` of the run this state is about: another run starts over as `starting`. */
  readonly runStartedAt: string;
}

/** Docker's image config `Healthcheck` (durations in nanoseconds). */
interface ImageHealthcheck {
  readonly Test?: readonly string[] | null;
  readonly Interval?: number;
  readonly Timeout?: number;
  readonly StartPeriod?: number;
  readonly StartInterval?: number;
  readonly Retries?: number;
}

function imageHealthcheck(value: unknown): HealthcheckSpec | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const image = value as ImageHealthcheck;
  const number = (n: unknown): number | undefined => (typeof n === "number" ? n : undefined);
  return {
    test: Array.isArray(image.Test) ? image.Test.filter((t): t is string => typeof t === "string") : [],
    intervalNs: number(image.Interval),
    timeoutNs: number(image.Timeout),
    startPeriodNs: number(image.StartPeriod),
    startIntervalNs: number(image.StartInterval),
    retries: number(image.Retries),
  };
}

/** The service's healthcheck over the image's, as Docker merges them at create. */
export function mergeHealthcheck(
  service: HealthcheckSpec | undefined,
  imageValue: unknown,
): HealthcheckSpec | undefined {
  const image = imageHealthcheck(imageValue);
  if (service === undefined) return image;
  if (image === undefined) return service;
  const pick = (own: number | undefined, inherited: number | undefined): number | undefined =>
    own === undefined || own === 0 ? inherited : own;
  return {
    test: service.test.length === 0 ? image.test : service.test,
    intervalNs: pick(service.intervalNs, image.intervalNs),
    timeoutNs: pick(service.timeoutNs, image.timeoutNs),
    startPeriodNs: pick(service.startPeriodNs, image.startPeriodNs),
    startIntervalNs: pick(service.startIntervalNs, image.startIntervalNs),
    retries: pick(service.retries, image.retries),
  };
}

const msOr = (ns: number | undefined, fallback: number): number =>
  ns === undefined || ns <= 0 ? fallback : Math.max(1, Math.round(ns / 1e6));

/** What the supervisor runs; undefined when the container has no (enabled) healthcheck. */
export function healthConfig(spec: HealthcheckSpec | undefined): HealthConfig | undefined {
  const test = spec?.test ?? [];
  const [kind, ...rest] = test;
  let argv: readonly string[];
  // An empty CMD still counts (each probe then fails to run), as in Docker.
  if (kind === "CMD") argv = rest;
  else if (kind === "CMD-SHELL") argv = ["/bin/sh", "-c", ...rest];
  else return undefined;
  const retries = spec?.retries ?? 0;
  return {
    argv,
    intervalMs: msOr(spec?.intervalNs, DEFAULT_INTERVAL_MS),
    timeoutMs: msOr(spec?.timeoutNs, DEFAULT_TIMEOUT_MS),
    startPeriodMs: msOr(spec?.startPeriodNs, 0),
    startIntervalMs: msOr(spec?.startIntervalNs, DEFAULT_START_INTERVAL_MS),
    retries: retries > 0 ? retries : DEFAULT_RETRIES,
  };
}

/** The state a run starts with: `starting`, no streak, the earlier log kept. */
export function startingHealth(previous: HealthState | undefined, runStartedAt: string): HealthState {
  return { status: "starting", failingStreak: 0, log: previous?.log ?? [], runStartedAt };
}

/** The wait before the next probe (Docker's `getInterval`). */
export function nextProbeDelay(config: HealthConfig, state: HealthState, now: Date): number {
  const sinceStart = now.getTime() - Date.parse(state.runStartedAt);
  if (sinceStart >= config.startPeriodMs) return config.intervalMs;
  return state.status === "starting" ? config.startIntervalMs : config.intervalMs;
}

/** The state after a probe's result, and whether the status changed (a `health_status` event). */
export function applyProbe(
  config: HealthConfig,
  state: HealthState,
  result: ProbeResult,
): { readonly state: HealthState; readonly changed: boolean } {
  const log = [...state.log, result].slice(-MAX_LOG_ENTRIES);
  let status = state.status;
  let failingStreak = state.failingStreak;
  if (result.exitCode === 0) {
    status = "healthy";
    failingStreak = 0;
  } else {
    const inStartPeriod =
      state.status === "starting" &&
      Date.parse(result.start) - Date.parse(state.runStartedAt) < config.startPeriodMs;
    if (!inStartPeriod) {
      failingStreak += 1;
      if (failingStreak >= config.retries) status = "unhealthy";
    }
  }
  return { state: { ...state, status, failingStreak, log }, changed: status !== state.status };
}

/** Collects a probe's output up to MAX_OUTPUT_BYTES; `text()` ends in `...` when it was cut. */
export function outputCollector(): { add(chunk: Buffer): void; text(): string } {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  return {
    add(chunk) {
      const keep = Math.min(MAX_OUTPUT_BYTES - size, chunk.length);
      if (keep > 0) {
        chunks.push(chunk.subarray(0, keep));
        size += keep;
      }
      if (keep < chunk.length) truncated = true;
    },
    text() {
      const text = Buffer.concat(chunks).toString("utf8");
      return truncated ? `${text}...` : text;
    },
  };
}

/** A duration as Go prints it (`500ms`, `1.5s`, `1m30s`): Docker's timeout message uses it. */
export function goDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  const secondsText = `${Number(seconds.toFixed(3))}s`;
  if (hours > 0) return `${hours}h${minutes}m${secondsText}`;
  if (minutes > 0) return `${minutes}m${secondsText}`;
  return secondsText;
}

/** The result Docker records when a probe outlives its timeout. */
export function timeoutResult(config: HealthConfig, start: Date, end: Date): ProbeResult {
  return {
    exitCode: -1,
    output: `Health check exceeded timeout (${goDuration(config.timeoutMs)})`,
    start: start.toISOString(),
    end: end.toISOString(),
  };
}
