/**
 * `--chown=user[:group]` as the classic builder resolves it (moby builder/dockerfile
 * internals_linux.go parseChownFlag): numbers are taken as they are; names are looked up in the
 * image's own /etc/passwd and /etc/group (read inside the image's root); a user alone stands for
 * the group too (`--chown=app` is `app:app`). Errors are worded as dockerd words them.
 */
import { InvalidRequestError } from "../../errors.js";
import { parseGroup, parsePasswd } from "../oci/user.js";
import type { Identity } from "./copy-apply.js";

const PREFIX = "unable to convert uid/gid chown string to host mapping: ";

function numeric(text: string): number | undefined {
  return /^[+-]?\d+$/.test(text) ? Number(text) : undefined;
}

/** The identity `chown` names, given the image's passwd and group texts (undefined: missing). */
export function resolveChown(chown: string, passwd: string | undefined, group: string | undefined): Identity {
  const parts = chown.split(":");
  if (parts.length > 2) throw new InvalidRequestError(`${PREFIX}invalid chown string format: ${chown}`);
  const user = parts[0] ?? "";
  const grp = parts.length === 1 ? user : (parts[1] ?? "");
  const uid =
    numeric(user) ??
    (() => {
      if (passwd === undefined)
        throw new InvalidRequestError(
          `${PREFIX}can't find uid for user ${user}: open /etc/passwd: no such file or directory`,
        );
      const found = parsePasswd(passwd).find((e) => e.name === user);
      if (!found)
        throw new InvalidRequestError(`${PREFIX}can't find uid for user ${user}: no such user: ${user}`);
      return found.uid;
    })();
  const gid =
    numeric(grp) ??
    (() => {
      if (group === undefined)
        throw new InvalidRequestError(
          `${PREFIX}can't find gid for group ${grp}: open /etc/group: no such file or directory`,
        );
      const found = parseGroup(group).find((e) => e.name === grp);
      if (!found)
        throw new InvalidRequestError(`${PREFIX}can't find gid for group ${grp}: no such group: ${grp}`);
      return found.gid;
    })();
  return { uid, gid };
}

/** `--chmod=<octal>` (BuildKit's: octal digits only). */
export function parseChmod(text: string): number {
  if (!/^[0-7]{1,4}$/.test(text)) throw new InvalidRequestError(`invalid chmod parameter: ${text}`);
  return parseInt(text, 8);
}
