/**
 * The embedded DNS server's process (bundled as dist/bin/berth-dns.js; started by ensureDnsServer,
 * never by hand). The state roots come from BERTH_ROOT / BERTH_RUN_ROOT. BERTH_DNS_FORWARD=0 keeps
 * every query inside (names not the containers' answered NXDOMAIN), for test machines.
 */
import { nativePaths } from "../paths.js";
import { serveDnsProcess } from "./process-main.js";

await serveDnsProcess(nativePaths(process.env), { forward: process.env["BERTH_DNS_FORWARD"] !== "0" });
