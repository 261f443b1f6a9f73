/**
 * conmon's control FIFO (`<bundle>/ctl`): `1 H W` resizes the terminal, `2 0 0` reopens the log.
 * It is opened non-blocking, so a monitor that has gone (no reader) is an error, not a hang.
 */
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { ConflictError } from "../../errors.js";
import { errnoCode } from "../../../errno.js";

export async function resizeTerminal(
  bundle: string,
  size: { readonly rows: number; readonly cols: number },
): Promise<void> {
  const rows = Math.max(0, Math.floor(size.rows));
  const cols = Math.max(0, Math.floor(size.cols));
  let file;
  try {
    file = await open(path.join(bundle, "ctl"), constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = errnoCode(error);
    if (code === "ENXIO" || code === "ENOENT") {
      throw new ConflictError("cannot resize: the process's terminal is gone (it is not running)");
    }
    throw error;
  }
  try {
    await file.write(`1 ${rows} ${cols}\n`);
  } finally {
    await file.close();
  }
}
