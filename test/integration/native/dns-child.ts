/**
 * The DNS server process of the native DNS tests (bundled with rolldown and started by
 * ensureDnsServer through BERTH_DNS_ENTRY): the real server process, forwarding nothing outside,
 * with a short idle exit so the tests stay short.
 */
import { serveDnsProcess } from "../../../src/runtime/native/dns/process-main.js";
import { nativePaths } from "../../../src/runtime/native/paths.js";

await serveDnsProcess(nativePaths(process.env), { forward: false, idleExitMs: 800 });
