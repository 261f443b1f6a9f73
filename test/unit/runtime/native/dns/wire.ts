/** DNS messages for the DNS tests: queries built and replies read with dns-packet. */
import * as dnsPacket from "dns-packet";

export interface Reply {
  readonly id: number;
  readonly rcode: string;
  readonly aa: boolean;
  readonly rd: boolean;
  readonly ra: boolean;
  readonly questions: readonly dnsPacket.Question[];
  /** [type, name, ttl, data] of each answer. */
  readonly answers: readonly (readonly [string, string, number | undefined, string])[];
}

const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];

export function query(name: string, type: dnsPacket.RecordType, id = 4242): Buffer {
  return dnsPacket.encode({
    type: "query",
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: "IN" }],
  });
}

export function readReply(bytes: Buffer): Reply {
  const packet = dnsPacket.decode(bytes);
  return {
    id: packet.id ?? 0,
    // dns-packet decodes the rcode, its types do not declare it: read it from the header.
    rcode: RCODES[bytes.readUInt16BE(2) & 0xf] ?? `RCODE_${bytes.readUInt16BE(2) & 0xf}`,
    aa: packet.flag_aa,
    rd: packet.flag_rd,
    ra: packet.flag_ra,
    questions: packet.questions ?? [],
    answers: (packet.answers ?? []).map((a) => [
      a.type,
      a.name,
      "ttl" in a ? a.ttl : undefined,
      "data" in a && typeof a.data === "string" ? a.data : JSON.stringify("data" in a ? a.data : null),
    ]),
  };
}
