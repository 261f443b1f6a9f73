/**
 * `user:` resolved to numeric ids from the image's own `/etc/passwd` and `/etc/group`, as Docker
 * 20.10 does before it writes the spec (moby `getUser` over runc's `libcontainer/user`):
 * - `name`, `uid`, `name:group`, `uid:gid`, `name:gid`, `uid:group`; empty means uid 0.
 * - A number absent from passwd (or group) is taken as it is; a name absent is an error worded as
 *   Docker's (`unable to find user x: no matching entries in passwd file`).
 * - Without an explicit group, the user's supplementary groups are the groups listing it.
 * - `group_add` entries (names or numbers) come last.
 * The parsing is pure (`lookupUser`); `resolveUser` only reads the two files, inside the rootfs.
 */
import { InvalidRequestError } from "../../errors.js";
import { readFileInRoot } from "./scoped-path.js";

export interface ResolvedUser {
  readonly uid: number;
  readonly gid: number;
  /** What Docker writes as `additionalGids`: the primary gid, the supplementary ones, then group_add. */
  readonly additionalGids: readonly number[];
}

const MAX_ID = 2 ** 31 - 1;
const RANGE_ERROR = `uids and gids must be in range 0-${MAX_ID}`;

interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

interface GroupEntry {
  readonly name: string;
  readonly gid: number;
  readonly members: readonly string[];
}

/** Go's strconv.Atoi: an optional sign and decimal digits, nothing else. */
function atoi(text: string): number | undefined {
  return /^[+-]?\d+$/.test(text) ? Number(text) : undefined;
}

/** A field that is not a number counts as 0, as runc's parser ignores conversion errors. */
function field(text: string | undefined): number {
  return atoi(text ?? "") ?? 0;
}

export function parsePasswd(text: string): PasswdEntry[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => {
      const [name = "", , uid, gid] = line.split(":");
      return { name, uid: field(uid), gid: field(gid) };
    });
}

export function parseGroup(text: string): GroupEntry[] {
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const [name = "", , gid, list] = line.split(":");
      return { name, gid: field(gid), members: list !== undefined && list !== "" ? list.split(",") : [] };
    });
}

function inRange(id: number): number {
  if (id < 0 || id > MAX_ID) throw new InvalidRequestError(RANGE_ERROR);
  return id;
}

/**
 * The ids for `user` given the rootfs's passwd and group texts (`undefined` for a missing file).
 * Pure: runc's `GetExecUser` then Docker's `GetAdditionalGroups`.
 */
export function lookupUser(
  user: string | undefined,
  passwdText: string | undefined,
  groupText: string | undefined,
  groupAdd: readonly string[] = [],
): ResolvedUser {
  const [userArg = "", groupArg = ""] = (user ?? "").split(":");
  const uidArg = atoi(userArg);
  const gidArg = atoi(groupArg);
  const passwd = passwdText === undefined ? [] : parsePasswd(passwdText);
  const groups = groupText === undefined ? [] : parseGroup(groupText);

  let uid = 0;
  let gid = 0;
  let matchedName: string | undefined;
  const match = passwd.find((u) =>
    userArg === "" ? u.uid === 0 : uidArg !== undefined ? u.uid === uidArg : u.name === userArg,
  );
  if (match !== undefined) {
    matchedName = match.name;
    uid = match.uid;
    gid = match.gid;
  } else if (userArg !== "") {
    if (uidArg === undefined) {
      throw new InvalidRequestError(`unable to find user ${userArg}: no matching entries in passwd file`);
    }
    uid = inRange(uidArg);
  }

  let supplementary: number[] = [];
  if (groupArg !== "") {
    const group = groups.find((g) => (gidArg !== undefined ? g.gid === gidArg : g.name === groupArg));
    if (group !== undefined) gid = group.gid;
    else if (gidArg === undefined) {
      throw new InvalidRequestError(`unable to find group ${groupArg}: no matching entries in group file`);
    } else gid = inRange(gidArg);
  } else if (matchedName !== undefined) {
    const name = matchedName;
    supplementary = groups.filter((g) => g.members.includes(name)).map((g) => g.gid);
  }

  return { uid, gid, additionalGids: [gid, ...supplementary, ...additionalGroups(groupAdd, groups)] };
}

/**
 * `group_add` as gids: a group found by name or number, else a number taken as it is. Duplicates are
 * dropped; the order is the order asked (Docker's comes out of a Go map, in no fixed order).
 */
function additionalGroups(wanted: readonly string[], groups: readonly GroupEntry[]): number[] {
  const gids: number[] = [];
  for (const name of wanted) {
    const group = groups.find((g) => g.name === name || String(g.gid) === name);
    let gid = group?.gid;
    if (gid === undefined) {
      const n = atoi(name);
      if (n === undefined) throw new InvalidRequestError(`Unable to find group ${name}`);
      gid = inRange(n);
    }
    if (!gids.includes(gid)) gids.push(gid);
  }
  return gids;
}

/**
 * The user a container runs as: `spec.user` when set, else the image's `User` (Docker's merge of
 * the container config over the image config).
 */
export function effectiveUser(
  specUser: string | undefined,
  imageUser: string | undefined,
): string | undefined {
  return specUser !== undefined && specUser !== "" ? specUser : imageUser;
}

/** Reads the rootfs's `/etc/passwd` and `/etc/group` (symlinks resolved inside it) and looks `user` up. */
export async function resolveUser(
  user: string | undefined,
  rootfsDir: string,
  groupAdd: readonly string[] = [],
): Promise<ResolvedUser> {
  const [passwd, group] = await Promise.all([
    readFileInRoot(rootfsDir, "/etc/passwd"),
    readFileInRoot(rootfsDir, "/etc/group"),
  ]);
  return lookupUser(user, passwd, group, groupAdd);
}
