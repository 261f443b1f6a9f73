/**
 * One DNS message in, one decision out (pure apart from the round-robin counter): a reply built
 * here, a forward to the outside, or nothing (not a query). Answers follow libnetwork's resolver:
 * A records with TTL 600, authoritative, recursion available; AAAA of a known name without an IPv6
 * address, and any other type of a known name, NOERROR with no answer (NODATA); an unknown name of
 * ours NXDOMAIN; opcodes other than QUERY NOTIMP; a message that does not decode FORMERR when its
 * header can be read. A UDP reply longer than the asker takes (its EDNS0 payload size, else 512
 * bytes) keeps the answers that fit and says it was truncated (TC), so the asker retries over TCP,
 * as libnetwork's truncateResp does.
 */
import * as dnsPacket from "dns-packet";
import { type DnsIndex, lookupName, type RoundRobin } from "./lookup.js";

/** libnetwork's respTTL. */
export const ANSWER_TTL = 600;

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4 } as const;
type Rcode = (typeof RCODE)[keyof typeof RCODE];
const OPCODE_MASK = 0x7800;
const RD = dnsPacket.RECURSION_DESIRED;

export type Decision =
  | { readonly kind: "reply"; readonly bytes: Buffer }
  /** The query as received goes to these servers (undefined: the host's). */
  | { readonly kind: "forward"; readonly upstreams: readonly string[] | undefined }
  | { readonly kind: "drop" };

export interface QueryContext {
  readonly network: string;
  readonly source: string;
  /** False: names not ours are answered NXDOMAIN instead of forwarded (tests). */
  readonly forward: boolean;
  /** How the query came (default udp): a UDP reply is bounded in size. */
  readonly transport?: "udp" | "tcp" | undefined;
}

/** RFC 1035's limit for a UDP message without EDNS0. */
export const UDP_CLASSIC_LIMIT = 512;

/** A reply with the query's ID, opcode, RD and questions, and `rcode`. */
export function replyBytes(
  query: Buffer,
  rcode: Rcode,
  questions: dnsPacket.Question[] = [],
  answers: dnsPacket.Answer[] = [],
  truncated = false,
): Buffer {
  const flags = query.length >= 4 ? query.readUInt16BE(2) : 0;
  return dnsPacket.encode({
    type: "response",
    id: query.length >= 2 ? query.readUInt16BE(0) : 0,
    flags:
      (flags & (OPCODE_MASK | RD)) |
      dnsPacket.AUTHORITATIVE_ANSWER |
      dnsPacket.RECURSION_AVAILABLE |
      (truncated ? dnsPacket.TRUNCATED_RESPONSE : 0) |
      rcode,
    questions,
    answers,
  });
}

/** SERVFAIL for a query the upstreams did not answer. */
export function serverFailure(query: Buffer): Buffer {
  return replyBytes(query, RCODE.SERVFAIL, questionsOf(query));
}

function questionsOf(query: Buffer): dnsPacket.Question[] {
  try {
    return dnsPacket.decode(query).questions ?? [];
  } catch {
    return [];
  }
}

export function decide(
  query: Buffer,
  context: QueryContext,
  index: DnsIndex,
  roundRobin: RoundRobin,
): Decision {
  if (query.length < 12) return { kind: "drop" };
  const flags = query.readUInt16BE(2);
  // A response (QR set) is never answered: two servers could bounce it between them forever.
  if ((flags & 0x8000) !== 0) return { kind: "drop" };
  if ((flags & OPCODE_MASK) !== 0) return { kind: "reply", bytes: replyBytes(query, RCODE.NOTIMP) };
  let packet: dnsPacket.DecodedPacket;
  try {
    packet = dnsPacket.decode(query);
  } catch {
    return { kind: "reply", bytes: replyBytes(query, RCODE.FORMERR) };
  }
  const questions = packet.questions ?? [];
  const question = questions[0];
  if (question === undefined || questions.length !== 1) {
    return { kind: "reply", bytes: replyBytes(query, RCODE.FORMERR, questions) };
  }
  const result = lookupName(index, { network: context.network, source: context.source, name: question.name });
  if (result.kind === "unknown" || (result.kind === "external" && !context.forward)) {
    return { kind: "reply", bytes: replyBytes(query, RCODE.NXDOMAIN, questions) };
  }
  if (result.kind === "external") return { kind: "forward", upstreams: result.upstreams };
  const key = `${result.network}\0${question.name.toLowerCase()}`;
  let answers: dnsPacket.Answer[] = [];
  if (question.type === "A" || question.type === "AAAA") {
    const addresses = roundRobin.order(
      `${key}\0${question.type}`,
      question.type === "A" ? result.ipv4 : result.ipv6,
    );
    answers = addresses.map((data) => ({
      type: question.type as "A" | "AAAA",
      name: question.name,
      class: "IN",
      ttl: ANSWER_TTL,
      data,
    }));
  }
  let bytes = replyBytes(query, RCODE.NOERROR, questions, answers);
  if ((context.transport ?? "udp") === "udp") {
    const limit = udpLimit(packet);
    while (bytes.length > limit && answers.length > 0) {
      answers = answers.slice(0, -1);
      bytes = replyBytes(query, RCODE.NOERROR, questions, answers, true);
    }
  }
  return { kind: "reply", bytes };
}

/** The largest UDP reply the asker takes: its EDNS0 payload size (at least 512), else 512. */
function udpLimit(packet: dnsPacket.DecodedPacket): number {
  const opt = (packet.additionals ?? []).find((a): a is dnsPacket.OptAnswer => a.type === "OPT");
  return opt === undefined ? UDP_CLASSIC_LIMIT : Math.max(UDP_CLASSIC_LIMIT, opt.udpPayloadSize);
}
