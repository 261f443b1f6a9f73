/**
 * The instructions that change only the image config (no layer): ENV, LABEL, ARG, USER,
 * STOPSIGNAL, MAINTAINER, EXPOSE, VOLUME, SHELL, CMD, ENTRYPOINT, HEALTHCHECK and ONBUILD, as the
 * classic builder's dispatchers apply them. Pure: each returns the history text dockerd writes
 * after `#(nop) `, or undefined for an instruction that is not one of these.
 */
import { InvalidRequestError } from "../../errors.js";
import type { OciContainerConfig } from "../images/config.js";
import { argDefinitions, keyValues, parseTrigger, type Instruction } from "./dockerfile.js";
import { healthcheckHistory, parseHealthcheck } from "./healthcheck.js";
import { expandWord, expandWords, type Lookup } from "./shell-words.js";

export interface StageState {
  config: OciContainerConfig;
  /** The ARGs the stage declared, with their values. */
  args: Map<string, string>;
  cmdSet: boolean;
}

export interface WordContext {
  readonly lookup: Lookup;
  readonly escape: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly meta: ReadonlyMap<string, string>;
}

export function envMap(config: OciContainerConfig): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of config.Env ?? []) {
    const eq = entry.indexOf("=");
    map.set(eq < 0 ? entry : entry.slice(0, eq), eq < 0 ? "" : entry.slice(eq + 1));
  }
  return map;
}

/** The shell-form command for `args` under the config's SHELL. */
export function shellForm(config: OciContainerConfig, args: string): string[] {
  return [...(config.Shell ?? ["/bin/sh", "-c"]), args];
}

export function applyConfigInstruction(
  state: StageState,
  ins: Instruction,
  ctx: WordContext,
): string | undefined {
  const { lookup, escape } = ctx;
  const pairs = (): (readonly [string, string])[] =>
    keyValues(ins, escape).map(
      ([k, v]) => [expandWord(k, lookup, escape), expandWord(v, lookup, escape)] as const,
    );
  const set = (change: OciContainerConfig): void => {
    state.config = { ...state.config, ...change };
  };
  switch (ins.keyword) {
    case "ENV": {
      const env = envMap(state.config);
      const kv = pairs();
      for (const [k, v] of kv) env.set(k, v);
      set({ Env: [...env].map(([k, v]) => `${k}=${v}`) });
      return `ENV ${kv.map(([k, v]) => `${k}=${v}`).join(" ")}`;
    }
    case "LABEL": {
      const kv = pairs();
      set({ Labels: { ...(state.config.Labels ?? {}), ...Object.fromEntries(kv) } });
      return `LABEL ${kv.map(([k, v]) => `${k}=${v}`).join(" ")}`;
    }
    case "ARG": {
      for (const def of argDefinitions(ins, escape)) {
        const value =
          ctx.buildArgs[def.name] ??
          (def.value !== undefined ? expandWord(def.value, lookup, escape) : ctx.meta.get(def.name));
        state.args.set(def.name, value ?? "");
      }
      return ins.text;
    }
    case "USER":
      set({ User: expandWord(ins.args, lookup, escape) });
      return `USER ${state.config.User ?? ""}`;
    case "STOPSIGNAL":
      set({ StopSignal: expandWord(ins.args, lookup, escape) });
      return ins.text;
    case "MAINTAINER":
      return ins.text;
    case "EXPOSE": {
      const ports = expandWords(ins.args, lookup, escape).map((p) => (p.includes("/") ? p : `${p}/tcp`));
      set({
        ExposedPorts: {
          ...(state.config.ExposedPorts ?? {}),
          ...Object.fromEntries(ports.map((p) => [p, {}])),
        },
      });
      return `EXPOSE ${ports.join(" ")}`;
    }
    case "VOLUME": {
      const volumes = ins.json ?? expandWords(ins.args, lookup, escape);
      set({
        Volumes: { ...(state.config.Volumes ?? {}), ...Object.fromEntries(volumes.map((v) => [v, {}])) },
      });
      return `VOLUME [${volumes.join(" ")}]`;
    }
    case "SHELL":
      if (ins.json === undefined)
        throw new InvalidRequestError(`line ${ins.line}: SHELL requires the arguments to be in JSON form`);
      set({ Shell: ins.json });
      return ins.text;
    case "CMD":
      set({ Cmd: ins.json ?? shellForm(state.config, ins.args) });
      state.cmdSet = true;
      return `CMD ${JSON.stringify(state.config.Cmd)}`;
    case "ENTRYPOINT":
      // A new entrypoint drops the base image's CMD, unless this stage set one.
      set({
        Entrypoint: ins.json ?? shellForm(state.config, ins.args),
        Cmd: state.cmdSet ? state.config.Cmd : null,
      });
      return `ENTRYPOINT ${JSON.stringify(state.config.Entrypoint)}`;
    case "HEALTHCHECK": {
      const health = parseHealthcheck(ins);
      set({ Healthcheck: health });
      return healthcheckHistory(health);
    }
    case "ONBUILD": {
      parseTrigger(ins.args, ins.line);
      set({ OnBuild: [...(state.config.OnBuild ?? []), ins.args] });
      return `ONBUILD ${ins.args}`;
    }
    default:
      return undefined;
  }
}
