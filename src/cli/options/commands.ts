/**
 * Every command's operands and options (the lists are in flags.ts), a section per command, each
 * with the function that loads the command's code (src/cli/commands/<verb>.ts, by `import()`) and
 * runs it.
 *
 * One file rather than one per command: the lists are all of one shape, and apart they would
 * repeat that shape across ten files; together they read as the table they are.
 */
import { command, type DeclaredCommand } from "./command.js";
import { refuseBoth } from "./define.js";
import {
  CONFIG_OPTIONS,
  UP_OPTIONS,
  DOWN_OPTIONS,
  PS_OPTIONS,
  LOGS_OPTIONS,
  STOP_OPTIONS,
  RESTART_OPTIONS,
  DASHBOARD_OPTIONS,
  EXEC_OPTIONS,
  ATTACH_OPTIONS,
  BUILD_OPTIONS,
  PULL_OPTIONS,
  PUSH_OPTIONS,
  CREATE_OPTIONS,
  KILL_OPTIONS,
  RM_OPTIONS,
  SCALE_OPTIONS,
  CP_OPTIONS,
  PORT_OPTIONS,
  IMAGES_OPTIONS,
  EVENTS_OPTIONS,
  LS_OPTIONS,
  WAIT_OPTIONS,
  WATCH_OPTIONS,
  STATS_OPTIONS,
  VERSION_OPTIONS,
  RUN_OPTIONS,
} from "./flags.js";

/** `[services...]`: the services a command acts on, all when none are named. */
const SERVICES = { syntax: "[services...]", description: "only these services" } as const;

// --- config: validate and print the project (commands/config.ts) ---

const config = command({
  name: "config",
  description: "validate the project and print its canonical form",
  operands: SERVICES,
  options: CONFIG_OPTIONS,
  run: async (globals, services, flags) =>
    (await import("../commands/config.js")).runConfig(globals, services, flags),
});

// --- up: create and start, then attach (commands/up.ts) ---

const up = command({
  name: "up",
  description: "create and start containers, then print their output (unless detached)",
  operands: { syntax: "[services...]", description: "only these services (and what they depend on)" },
  options: UP_OPTIONS,
  configure: (command) => refuseBoth(command, "build"),
  run: async (globals, services, flags) =>
    (await import("../commands/up.js")).runUp(globals, services, flags),
});

// --- down (commands/down.ts) ---

const down = command({
  name: "down",
  description: "stop and remove containers and networks",
  operands: {
    syntax: "[services...]",
    description: "only these services' containers (and those of the services that depend on them)",
  },
  options: DOWN_OPTIONS,
  run: async (globals, services, flags) =>
    (await import("../commands/down.js")).runDown(globals, services, flags),
});

// --- ps (commands/ps.ts) ---

const ps = command({
  name: "ps",
  description: "list containers",
  operands: SERVICES,
  options: PS_OPTIONS,
  run: async (globals, services, flags) =>
    (await import("../commands/ps.js")).runPs(globals, services, flags),
});

// --- logs (commands/logs.ts) ---

const logs = command({
  name: "logs",
  description: "view output from containers",
  operands: SERVICES,
  options: LOGS_OPTIONS,
  run: async (globals, services, flags) =>
    (await import("../commands/logs.js")).runLogs(globals, services, flags),
});

// --- scale, stop, start, restart (commands/<verb>.ts) ---

const scale = command({
  name: "scale",
  description: "scale services",
  operands: { syntax: "<SERVICE=REPLICAS...>", description: "services and their number of replicas" },
  options: SCALE_OPTIONS,
  run: async (globals, pairs, flags) =>
    (await import("../commands/scale.js")).runScale(globals, pairs, flags),
});

const stop = command({
  name: "stop",
  description: "stop services",
  operands: SERVICES,
  options: STOP_OPTIONS,
  run: async (globals, services, flags) =>
    (await import("../commands/stop.js")).runStop(globals, services, flags),
});

const start = command({
  name: "start",
  description: "start services",
  operands: SERVICES,
  options: [],
  run: async (globals, services) => (await import("../commands/start.js")).runStart(globals, services),
});

const restart = command({
  name: "restart",
  description: "restart service containers",
  operands: SERVICES,
  options: RESTART_OPTIONS,
  run: async (globals, services, flags) =>
    (await import("../commands/restart.js")).runRestart(globals, services, flags),
});

// --- create, kill, pause, unpause, rm (commands/<verb>.ts) ---

const create = command({
  name: "create",
  description: "creates containers for a service",
  operands: { syntax: "[services...]", description: "only these services (and what they depend on)" },
  options: CREATE_OPTIONS,
  configure: (command) => refuseBoth(command, "build"),
  run: async (globals, services, flags) =>
    (await import("../commands/create.js")).runCreate(globals, services, flags),
});

const kill = command({
  name: "kill",
  description: "force stop service containers",
  operands: SERVICES,
  options: KILL_OPTIONS,
  run: async (globals, services, flags) =>
    (await import("../commands/kill.js")).runKill(globals, services, flags),
});

const pause = command({
  name: "pause",
  description: "pause services",
  operands: SERVICES,
  options: [],
  run: async (globals, services) =>
    (await import("../commands/pause.js")).runPause(globals, services, "pause"),
});

const rm = command({
  name: "rm",
  description: "removes stopped service containers",
  operands: SERVICES,
  options: RM_OPTIONS,
  run: async (globals, services, flags) =>
    (await import("../commands/rm.js")).runRm(globals, services, flags),
});

const unpause = command({
  name: "unpause",
  description: "unpause services",
  operands: SERVICES,
  options: [],
  run: async (globals, services) =>
    (await import("../commands/pause.js")).runPause(globals, services, "unpause"),
});

// --- completion (commands/completion.ts) ---

const completion = command({
  name: "completion",
  description: "print a shell completion script (commands, flags, service and profile names)",
  operands: { syntax: "<shell>", description: "bash, zsh or fish" },
  options: [],
  // One operand, not a list: commander hands it over as a string, which flat() takes as is.
  run: async (_globals, operands) =>
    (await import("../commands/completion.js")).runCompletion([operands].flat()[0] ?? "", COMMANDS),
});

// --- exec, attach: one container of a service on this terminal (commands/<verb>.ts) ---

const exec = command({
  name: "exec",
  description: "execute a command in a running container",
  operands: {
    syntax: "<service-and-command...>",
    description: "the service, then the command and its arguments",
  },
  options: EXEC_OPTIONS,
  // Everything after SERVICE is the command's, its options included (`exec web ls -la`).
  configure: (command) => void command.usage("[options] SERVICE COMMAND [ARGS...]").passThroughOptions(),
  run: async (globals, operands, flags) =>
    (await import("../commands/exec.js")).runExec(globals, operands, flags),
});

const attach = command({
  name: "attach",
  description: "attach local standard input, output, and error streams to a service's running container",
  // A list (the table hands operands over as one), checked to be one service by the command.
  operands: { syntax: "<service...>", description: "the service" },
  options: ATTACH_OPTIONS,
  configure: (command) => void command.usage("[options] SERVICE"),
  run: async (globals, operands, flags) =>
    (await import("../commands/attach.js")).runAttach(globals, operands, flags),
});

// --- run: a one-off container (commands/run.ts) ---

const run = command({
  name: "run",
  description: "run a one-off command on a service",
  operands: {
    syntax: "<service-and-command...>",
    description: "the service, then the command and its arguments",
  },
  options: RUN_OPTIONS,
  // Options after SERVICE belong to the command (`berth run web ls -l`).
  configure: (command) => {
    command.usage("[options] SERVICE [COMMAND] [ARGS...]").passThroughOptions();
  },
  run: async (globals, operands, flags) =>
    (await import("../commands/run.js")).runRun(globals, operands, flags),
});

// --- dashboard (commands/dashboard.ts) ---

const dashboard = command({
  name: "dashboard",
  description: "the interactive dashboard for the running stack (needs a terminal)",
  options: DASHBOARD_OPTIONS,
  run: async (globals, _operands, flags) =>
    (await import("../commands/dashboard.js")).runDashboard(globals, flags),
});

// --- build, pull, push: the services' images (commands/<verb>.ts) ---

const build = command({
  name: "build",
  description: "build or rebuild services",
  operands: SERVICES,
  options: BUILD_OPTIONS,
  run: async (globals, services, flags) =>
    (await import("../commands/build.js")).runBuild(globals, services, flags),
});

const pull = command({
  name: "pull",
  description: "pull service images",
  operands: SERVICES,
  options: PULL_OPTIONS,
  run: async (globals, services, flags) =>
    (await import("../commands/pull.js")).runPull(globals, services, flags),
});

const push = command({
  name: "push",
  description: "push service images",
  operands: SERVICES,
  options: PUSH_OPTIONS,
  run: async (globals, services, flags) =>
    (await import("../commands/push.js")).runPush(globals, services, flags),
});

// --- cp, top, port, images, events, ls, wait, stats, version (commands/<verb>.ts) ---

const cp = command({
  name: "cp",
  description: "copy files/folders between a service container and the local filesystem",
  operands: {
    syntax: "<paths...>",
    description: "SERVICE:SRC_PATH DEST_PATH|-, or SRC_PATH|- SERVICE:DEST_PATH",
  },
  options: CP_OPTIONS,
  run: async (globals, operands, flags) =>
    (await import("../commands/cp.js")).runCp(globals, operands, flags),
});

const top = command({
  name: "top",
  description: "display the running processes",
  operands: SERVICES,
  options: [],
  run: async (globals, services) => (await import("../commands/top.js")).runTop(globals, services),
});

const port = command({
  name: "port",
  description: "print the public port for a port binding",
  operands: { syntax: "<SERVICE PRIVATE_PORT...>", description: "the service and its container port" },
  options: PORT_OPTIONS,
  run: async (globals, operands, flags) =>
    (await import("../commands/port.js")).runPort(globals, operands, flags),
});

const images = command({
  name: "images",
  description: "list images used by the created containers",
  operands: SERVICES,
  options: IMAGES_OPTIONS,
  run: async (globals, services, flags) =>
    (await import("../commands/images.js")).runImages(globals, services, flags),
});

const events = command({
  name: "events",
  description: "receive real time events from containers",
  operands: SERVICES,
  options: EVENTS_OPTIONS,
  run: async (globals, services, flags) =>
    (await import("../commands/events.js")).runEvents(globals, services, flags),
});

const ls = command({
  name: "ls",
  description: "list running compose projects",
  options: LS_OPTIONS,
  run: async (globals, _operands, flags) => (await import("../commands/ls.js")).runLs(globals, flags),
});

const wait = command({
  name: "wait",
  description: "block until containers of all (or specified) services stop",
  operands: { syntax: "<services...>", description: "the services to wait for" },
  options: WAIT_OPTIONS,
  run: async (globals, services, flags) =>
    (await import("../commands/wait.js")).runWait(globals, services, flags),
});

const watch = command({
  name: "watch",
  description: "watch build context for service and rebuild/refresh containers when files are updated",
  operands: SERVICES,
  options: WATCH_OPTIONS,
  run: async (globals, services, flags) =>
    (await import("../commands/watch.js")).runWatch(globals, services, flags),
});

const stats = command({
  name: "stats",
  description: "display a live stream of container(s) resource usage statistics",
  operands: { syntax: "[service...]", description: "only this service" },
  options: STATS_OPTIONS,
  run: async (globals, services, flags) =>
    (await import("../commands/stats.js")).runStats(globals, services, flags),
});

const version = command({
  name: "version",
  description: "show berth's version and the runtime that answers",
  options: VERSION_OPTIONS,
  run: async (globals, _operands, flags) =>
    (await import("../commands/version.js")).runVersion(globals, flags),
});

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly DeclaredCommand[] = [
  config,
  up,
  down,
  ps,
  logs,
  scale,
  stop,
  start,
  restart,
  attach,
  build,
  cp,
  create,
  events,
  exec,
  images,
  kill,
  ls,
  pause,
  port,
  pull,
  push,
  rm,
  run,
  stats,
  top,
  unpause,
  version,
  wait,
  watch,
  completion,
  dashboard,
];
