/**
 * IPv4 arithmetic for the network layer: addresses as unsigned 32-bit numbers, subnets as
 * `{ base, prefix }`. Pure; every function validates what it parses and says what was wrong.
 */
import { InvalidRequestError } from "../../errors.js";

export interface Cidr {
  /** The network address (host bits zero). */
  readonly base: number;
  readonly prefix: number;
}

export function parseIp(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const byte = Number(part);
    if (byte > 255) return undefined;
    value = value * 256 + byte;
  }
  return value;
}

export function formatIp(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

/** The mask of a prefix length as an unsigned number. */
export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function size(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

export function last(cidr: Cidr): number {
  return cidr.base + size(cidr) - 1;
}

/** `a.b.c.d/n`; host bits must be zero unless `loose` (then they are cleared, as `ip route` shows). */
export function parseCidr(text: string, loose = false): Cidr | undefined {
  const match = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (!match) return undefined;
  const ip = parseIp(match[1] ?? "");
  const prefix = Number(match[2]);
  if (ip === undefined || prefix > 32) return undefined;
  const base = (ip & maskOf(prefix)) >>> 0;
  if (base !== ip && !loose) return undefined;
  return { base, prefix };
}

/** Like parseCidr, but an invalid text is the caller's error, named by `what`. */
export function requireCidr(text: string, what: string): Cidr {
  const cidr = parseCidr(text);
  if (!cidr)
    throw new InvalidRequestError(
      `${what} "${text}" is not an IPv4 subnet in CIDR form (a.b.c.d/n with host bits zero)`,
    );
  return cidr;
}

export function requireIp(text: string, what: string): number {
  const ip = parseIp(text);
  if (ip === undefined) throw new InvalidRequestError(`${what} "${text}" is not an IPv4 address`);
  return ip;
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.base)}/${cidr.prefix}`;
}

export function contains(cidr: Cidr, ip: number): boolean {
  return ip >= cidr.base && ip <= last(cidr);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base <= last(b) && b.base <= last(a);
}

/** The subnets of length `prefix` inside `pool`, in order (bounded: at most 2^16 of them). */
export function* subnetsOf(pool: Cidr, prefix: number): Generator<Cidr> {
  if (prefix < pool.prefix) return;
  const step = 2 ** (32 - prefix);
  const count = Math.min(2 ** (prefix - pool.prefix), 65_536);
  for (let i = 0; i < count; i++) yield { base: pool.base + i * step, prefix };
}
