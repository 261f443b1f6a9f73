/**
 * Every command's options, one list per command, and the flags each command reads, typed from its
 * own list (`UpFlags = FlagsOf<typeof UP_OPTIONS>`). Declarations only: the commands' code imports
 * its flag type from here, and options/commands.ts (which loads that code) imports the lists, so
 * nothing imports back.
 */
import { choice, type FlagsOf, flag, hidden, list, negation, repeated, value } from "./define.js";

/** `-t, --timeout`: whole seconds, parsed (and checked) by the command (flags.ts parseTimeout). */
const timeout = () =>
  value("-t, --timeout <seconds>", "seconds to wait for each container to stop before killing it");

export const CONFIG_OPTIONS = [
  choice("--format <format>", 'output format (default "yaml"; a table for --variables)', ["yaml", "json"]),
  value("-o, --output <path>", "write to a file instead of stdout"),
  flag("-q, --quiet", "only validate; print nothing"),
  flag("--services", "print the service names, one per line"),
  flag("--volumes", "print the volume names, one per line"),
  flag("--networks", "print the network names, one per line"),
  flag("--profiles", "print the profile names, one per line"),
  flag("--images", "print the image names, one per line"),
  value("--hash <services>", 'print the config hash of services ("*" for all)'),
  flag("--variables", "print the variables the model uses, with their default values"),
  flag("--environment", "print the environment used for interpolation, KEY=value, sorted"),
  negation("--no-interpolate", "do not substitute ${VAR} variables"),
  negation("--no-normalize", "print the merged model without normalizing it"),
  negation("--no-path-resolution", "keep relative paths as written"),
  negation("--no-consistency", "skip cross-reference checks"),
] as const;
export type ConfigFlags = FlagsOf<typeof CONFIG_OPTIONS>;

export const UP_OPTIONS = [
  flag("-d, --detach", "run containers in the background"),
  flag("--build", "build images before starting containers"),
  negation("--no-build", "do not build an image, even if it is missing"),
  choice("--pull <policy>", "pull images before running", ["always", "missing", "never", "policy"]),
  flag("--quiet-pull", "pull without printing progress information"),
  flag("--force-recreate", "recreate containers even if their configuration has not changed"),
  negation("--no-recreate", "if containers already exist, do not recreate them"),
  negation("--no-deps", "do not start linked services"),
  flag("--remove-orphans", "remove containers for services not defined in the compose file"),
  list("--scale <SERVICE=NUM>", "scale SERVICE to NUM instances (repeatable)"),
  flag("--wait", "wait for services to be running|healthy (implies --detach)"),
  value("--wait-timeout <seconds>", "maximum duration to wait for the project to be running|healthy"),
  negation("--no-start", "do not start the services after creating them"),
  flag("--abort-on-container-exit", "stop all containers if any container was stopped"),
  value("--exit-code-from <service>", "return the exit code of the selected service container"),
  timeout(),
  list("--attach <service>", "only print the output of these services (repeatable)"),
  list("--no-attach <service>", "do not print the output of these services (repeatable)"),
  flag("--attach-dependencies", "also print the output of the services' dependencies"),
  negation("--no-log-prefix", "do not print a prefix in logs"),
  negation("--no-color", "produce monochrome output"),
  flag("--timestamps", "show timestamps"),
  flag("--dry-run", "print the plan and do nothing"),
  negation("--no-dashboard", "on a terminal, print plain prefixed logs instead of the dashboard"),
  flag("-w, --watch", "watch source code and rebuild/refresh containers when files are updated"),
] as const;
export type UpFlags = FlagsOf<typeof UP_OPTIONS>;

export const DOWN_OPTIONS = [
  flag("-v, --volumes", "remove named volumes declared in the volumes section and anonymous volumes"),
  choice("--rmi <type>", "remove images used by services", ["local", "all"]),
  flag("--remove-orphans", "remove containers for services not defined in the compose file"),
  timeout(),
] as const;
export type DownFlags = FlagsOf<typeof DOWN_OPTIONS>;

export const PS_OPTIONS = [
  flag("-a, --all", "show all stopped containers"),
  flag("-q, --quiet", "only display IDs"),
  flag("--services", "display services"),
  list(
    "--status <status>",
    "filter services by status (paused, restarting, removing, running, dead, created, exited; repeatable)",
  ),
  list("--filter <filter>", "filter services by a property (supported: status)"),
  value(
    "--format <format>",
    'format output: "table" (default), "table TEMPLATE", "json" or a Go template (e.g. "{{.Name}} {{.Status}}")',
  ),
  negation("--no-trunc", "don't truncate output (IDs, commands)"),
  flag("--orphans", "include orphaned services, not declared by the project (default)"),
  negation("--no-orphans", "list only the services the project declares"),
] as const;
export type PsFlags = FlagsOf<typeof PS_OPTIONS>;

export const LOGS_OPTIONS = [
  flag("-f, --follow", "follow log output"),
  value("--tail <n>", 'number of lines to show from the end of the logs for each container, or "all"'),
  value("--since <time>", "show logs since a timestamp (2013-01-02T13:23:37Z) or relative (42m)"),
  value("--until <time>", "show logs before a timestamp (2013-01-02T13:23:37Z) or relative (42m)"),
  flag("-t, --timestamps", "show timestamps"),
  negation("--no-color", "produce monochrome output"),
  negation("--no-log-prefix", "do not print a prefix in logs"),
  value("--index <n>", "index of the container if the service has multiple replicas"),
] as const;
export type LogsFlags = FlagsOf<typeof LOGS_OPTIONS>;

export const STOP_OPTIONS = [timeout()] as const;
export type StopFlags = FlagsOf<typeof STOP_OPTIONS>;

export const RESTART_OPTIONS = [
  timeout(),
  negation("--no-deps", "don't restart dependent services"),
] as const;
export type RestartFlags = FlagsOf<typeof RESTART_OPTIONS>;

export const DASHBOARD_OPTIONS = [
  timeout(),
  negation("--no-color", "no colours"),
  flag("--timestamps", "show timestamps in the logs pane"),
] as const;
export type DashboardFlags = FlagsOf<typeof DASHBOARD_OPTIONS>;

export const EXEC_OPTIONS = [
  flag("-d, --detach", "detached mode: run the command in the background"),
  negation("-T, --no-tty", "disable pseudo-TTY allocation (by default a TTY when stdin is a terminal)"),
  // Compose's exec still takes its former spelling (normalized to --no-tty).
  hidden(negation("--no-TTY", "disable pseudo-TTY allocation")),
  // Taken and hidden as Compose's exec has them (`exec -it`, the `docker exec` habit): both the default.
  hidden(flag("-i, --interactive", "keep STDIN open even if not attached")),
  hidden(flag("-t, --tty", "allocate a pseudo-TTY")),
  list("-e, --env <KEY=VAL>", "set an environment variable (repeatable)"),
  value("-u, --user <user>", "run the command as this user"),
  value("-w, --workdir <dir>", "path to the working directory for this command"),
  value("--index <n>", "index of the container if the service has multiple replicas"),
  flag("--privileged", "give extended privileges to the process"),
] as const;
export type ExecFlags = FlagsOf<typeof EXEC_OPTIONS>;

export const ATTACH_OPTIONS = [
  value("--index <n>", "index of the container if the service has multiple replicas"),
  negation("--no-stdin", "do not attach stdin"),
  value(
    "--detach-keys <keys>",
    'override the key sequence for detaching from a container (default "ctrl-p,ctrl-q")',
  ),
  value("--sig-proxy <bool>", "proxy all received signals to the process (default true)"),
] as const;
export type AttachFlags = FlagsOf<typeof ATTACH_OPTIONS>;

export const BUILD_OPTIONS = [
  list(
    "--build-arg <KEY=VALUE>",
    "set build-time variables for services (repeatable; KEY alone takes it from the environment)",
  ),
  negation("--no-cache", "do not use cache when building the image"),
  flag("--pull", "always attempt to pull a newer version of the base images"),
  flag("-q, --quiet", "suppress the build output"),
  flag("--with-dependencies", "also build dependencies (transitively)"),
] as const;
export type BuildFlags = FlagsOf<typeof BUILD_OPTIONS>;

export const PULL_OPTIONS = [
  flag("--ignore-buildable", "ignore images that can be built"),
  flag("--ignore-pull-failures", "pull what it can and ignore images with pull failures"),
  flag("--include-deps", "also pull services declared as dependencies"),
  choice("--policy <policy>", 'apply pull policy ("missing"|"always")', ["missing", "always"]),
  flag("-q, --quiet", "pull without printing progress information"),
] as const;
export type PullFlags = FlagsOf<typeof PULL_OPTIONS>;

export const PUSH_OPTIONS = [
  flag("--ignore-push-failures", "push what it can and ignore images with push failures"),
  flag("--include-deps", "also push images of services declared as dependencies"),
  flag("-q, --quiet", "push without printing progress information"),
] as const;
export type PushFlags = FlagsOf<typeof PUSH_OPTIONS>;

export const CREATE_OPTIONS = [
  flag("--build", "build images before starting containers"),
  negation("--no-build", "do not build an image, even if it is missing"),
  flag("--force-recreate", "recreate containers even if their configuration has not changed"),
  negation("--no-recreate", "if containers already exist, do not recreate them"),
  choice("--pull <policy>", "pull images before running", ["always", "missing", "never", "policy"]),
  flag("--quiet-pull", "pull without printing progress information"),
  flag("--remove-orphans", "remove containers for services not defined in the compose file"),
  list("--scale <SERVICE=NUM>", "scale SERVICE to NUM instances (repeatable)"),
] as const;
export type CreateFlags = FlagsOf<typeof CREATE_OPTIONS>;

export const KILL_OPTIONS = [
  value("-s, --signal <signal>", 'SIGNAL to send to the container (default "SIGKILL")'),
  flag("--remove-orphans", "also kill containers of services not defined in the compose file"),
] as const;
export type KillFlags = FlagsOf<typeof KILL_OPTIONS>;

export const RM_OPTIONS = [
  flag("-f, --force", "don't ask to confirm removal"),
  flag("-s, --stop", "stop the containers, if required, before removing"),
  flag("-v, --volumes", "remove any anonymous volumes attached to containers"),
] as const;
export type RmFlags = FlagsOf<typeof RM_OPTIONS>;

export const SCALE_OPTIONS = [negation("--no-deps", "don't start linked services")] as const;
export type ScaleFlags = FlagsOf<typeof SCALE_OPTIONS>;

// --- cp, top, port, images, events, ls, wait, stats, version ---

export const CP_OPTIONS = [
  value("--index <n>", "index of the container if the service has multiple replicas"),
  flag("--all", "include containers created by the run command"),
  flag("-L, --follow-link", "always follow symbol link in SRC_PATH"),
  flag("-a, --archive", "archive mode (copy all uid/gid information)"),
] as const;
export type CpFlags = FlagsOf<typeof CP_OPTIONS>;

export const PORT_OPTIONS = [
  value("--protocol <protocol>", "tcp or udp (default tcp)"),
  value("--index <n>", "index of the container if the service has multiple replicas"),
] as const;
export type PortFlags = FlagsOf<typeof PORT_OPTIONS>;

export const IMAGES_OPTIONS = [
  choice("--format <format>", "format the output", ["table", "json"], { default: "table" }),
  flag("-q, --quiet", "only display IDs"),
] as const;
export type ImagesFlags = FlagsOf<typeof IMAGES_OPTIONS>;

export const EVENTS_OPTIONS = [
  flag("--json", "output events as a stream of json objects"),
  value("--since <time>", "show all events created since timestamp"),
  value("--until <time>", "stream events until this timestamp"),
] as const;
export type EventsFlags = FlagsOf<typeof EVENTS_OPTIONS>;

export const LS_OPTIONS = [
  flag("-a, --all", "show all stopped Compose projects"),
  list("--filter <filter>", "filter output based on conditions provided (name=NAME; repeatable)"),
  choice("--format <format>", "format the output", ["table", "json"], { default: "table" }),
  flag("-q, --quiet", "only display project names"),
] as const;
export type LsFlags = FlagsOf<typeof LS_OPTIONS>;

export const WAIT_OPTIONS = [flag("--down-project", "drops project when the first container stops")] as const;
export type WaitFlags = FlagsOf<typeof WAIT_OPTIONS>;

export const WATCH_OPTIONS = [
  negation("--no-up", "do not build & start services before watching"),
  flag("--prune", "prune dangling images on rebuild (default)"),
  negation("--no-prune", "keep the image a rebuild replaced"),
  flag("--quiet", "hide build output"),
] as const;
export type WatchFlags = FlagsOf<typeof WATCH_OPTIONS>;

export const STATS_OPTIONS = [
  flag("-a, --all", "show all containers (default shows just running)"),
  value(
    "--format <format>",
    "format output: 'table' (default), 'table TEMPLATE', 'json' or a Go-style TEMPLATE such as '{{.Name}}'",
  ),
  negation("--no-stream", "disable streaming stats and only pull the first result"),
  negation("--no-trunc", "do not truncate output"),
] as const;
export type StatsFlags = FlagsOf<typeof STATS_OPTIONS>;

export const VERSION_OPTIONS = [
  flag("--short", "shows only berth's version number"),
  choice("-f, --format <format>", "format the output", ["pretty", "json"], { default: "pretty" }),
] as const;
export type VersionFlags = FlagsOf<typeof VERSION_OPTIONS>;

export const RUN_OPTIONS = [
  flag("-d, --detach", "run the container in the background and print its ID"),
  flag("--rm", "remove the container (and its anonymous volumes) when it exits"),
  repeated("-e, --env <KEY=VAL>", "set an environment variable (repeatable)"),
  repeated("-l, --label <KEY=VAL>", "add or override a label (repeatable)"),
  value("-u, --user <user>", "run as this user (name or uid)"),
  value("-w, --workdir <dir>", "working directory inside the container"),
  repeated("-v, --volume <spec>", "bind mount a volume (repeatable)"),
  repeated("-p, --publish <spec>", "publish a container's port(s) to the host (repeatable)"),
  flag("-P, --service-ports", "run with the service's ports enabled and mapped to the host"),
  flag("--use-aliases", "use the service's network aliases in the networks the container joins"),
  negation("--no-deps", "do not start the services the service depends on"),
  value("--entrypoint <cmd>", "override the entrypoint of the image"),
  value("--name <name>", "assign a name to the container"),
  negation("-T, --no-TTY", "disable pseudo-TTY allocation (by default a TTY when stdin is a terminal)"),
  // Compose's hidden `-t` (`run -it`, the `docker run` habit) forces a TTY. Declared before exec's
  // spelling `--no-tty`, also taken, so that `tty` is undefined unless one of them is given.
  hidden(flag("-t, --tty", "allocate a pseudo-TTY")),
  hidden(negation("--no-tty", "disable pseudo-TTY allocation")),
  flag("-i, --interactive", "keep STDIN open even if not attached (the default)"),
  choice("--pull <policy>", "pull the image before running", ["always", "missing", "never"]),
  flag("--quiet-pull", "pull without printing progress information"),
  flag("--build", "build the image before starting the container"),
  repeated("--cap-add <cap>", "add a Linux capability (repeatable)"),
  repeated("--cap-drop <cap>", "drop a Linux capability (repeatable)"),
  flag("--remove-orphans", "remove containers for services not defined in the compose file"),
] as const;
export type RunFlags = FlagsOf<typeof RUN_OPTIONS>;
