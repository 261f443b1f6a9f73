/** Options several commands declare alike. */
import { value } from "./define.js";

/** `-t, --timeout`: whole seconds, parsed (and checked) by the command (flags.ts parseTimeout). */
export const timeout = () =>
  value("-t, --timeout <seconds>", "seconds to wait for each container to stop before killing it");
