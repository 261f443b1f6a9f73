/**
 * Typed option lists for commander. A command declares its options once, as a list of specs; the
 * type of the flags its code reads (`FlagsOf<typeof OPTIONS>`) is inferred from that list: each
 * key is the attribute commander stores the value under (`--wait-timeout <s>` → `waitTimeout`,
 * `--no-build` → `build`), each value type what that kind of option yields. Keys and values are
 * spelled the same at run time (`keyOf`): test/unit/cli/options.test.ts checks every declared
 * key against commander's `attributeName()`.
 *
 * This module loads nothing but commander: the commands' code stays behind `import()`.
 */
import { type Command, Option } from "commander";
import { UsageError } from "../../errors.js";

/** One declared option: commander's Option and, as a type only, the value it yields. */
export interface OptionSpec<K extends string = string, V = unknown> {
  /** The attribute commander stores the value under. */
  readonly key: K;
  /** Made fresh for each command that adds it (commander keeps options per command). */
  readonly make: () => Option;
  /** Never set: carries the value's type. */
  readonly value?: V;
}

/** `-d, --detach` → `detach`; `--wait-timeout <s>` → `wait-timeout`. */
type LongName<F extends string> = F extends `${string}--${infer Rest}`
  ? Rest extends `${infer Name} ${string}`
    ? Name
    : Rest
  : never;
type Camel<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<Camel<Tail>>}`
  : S;
/** The attribute of an option that is not a negation (`--no-attach <s>` as a list: `noAttach`). */
export type KeyOf<F extends string> = Camel<LongName<F>>;
/** The attribute of a negation: `--no-build` → `build`. */
export type NegatedKeyOf<F extends string> = LongName<F> extends `no-${infer Name}` ? Camel<Name> : never;

/**
 * The flags a list of specs yields. Two specs may share a key (`--build` and `--no-build`): the
 * value is then either's.
 */
export type FlagsOf<L extends readonly OptionSpec[]> = {
  readonly [S in L[number] as S["key"]]: S extends OptionSpec<string, infer V> ? V : never;
};

/** The attribute as KeyOf and NegatedKeyOf spell it. */
function keyOf(flags: string, negation: boolean): string {
  const long = /--([^\s,]+)/.exec(flags)?.[1] ?? "";
  return (negation ? long.replace(/^no-/, "") : long).replace(/-(.)/g, (_, c: string) => c.toUpperCase());
}

function spec<K extends string, V>(flags: string, make: () => Option, negation = false): OptionSpec<K, V> {
  return { key: keyOf(flags, negation) as K, make };
}

/** `--name`: true when given. */
export function flag<const F extends string>(
  flags: F,
  description: string,
): OptionSpec<KeyOf<F>, true | undefined> {
  return spec(flags, () => new Option(flags, description));
}

/**
 * `--no-name` (or `-N, --no-name`): false when given, true otherwise (undefined if `--name` is
 * declared too, until one is given).
 */
export function negation<const F extends `--no-${string}` | `-${string}, --no-${string}`>(
  flags: F,
  description: string,
): OptionSpec<NegatedKeyOf<F>, boolean> {
  return spec(flags, () => new Option(flags, description), true);
}

/** `--name <value>`: the text given. */
export function value<const F extends string>(
  flags: F,
  description: string,
): OptionSpec<KeyOf<F>, string | undefined> {
  return spec(flags, () => literal(new Option(flags, description)));
}

/** `--name <value>` that may be repeated: every value in order (undefined when none is given). */
export function list<const F extends string>(
  flags: F,
  description: string,
): OptionSpec<KeyOf<F>, readonly string[] | undefined> {
  return spec(flags, () =>
    literal(new Option(flags, description)).argParser((item: string, previous: string[] | undefined) => [
      ...(previous ?? []),
      item,
    ]),
  );
}

/** `--name <value>` that may be repeated, [] when none is given (help shows the default). */
export function repeated<const F extends string>(
  flags: F,
  description: string,
): OptionSpec<KeyOf<F>, readonly string[]> {
  return spec(flags, () =>
    literal(new Option(flags, description))
      .argParser((item: string, previous: string[]) => [...previous, item])
      .default([]),
  );
}

export interface ChoiceOptions<D extends string> {
  /** The value when the option is not given (help shows it). */
  readonly default?: D;
  /** The environment variable that gives the value when the option is not given. */
  readonly env?: string;
}

/** `--name <value>`, one of `choices` (commander refuses others, naming them). */
export function choice<const F extends string, const C extends readonly string[]>(
  flags: F,
  description: string,
  choices: C,
): OptionSpec<KeyOf<F>, C[number] | undefined>;
export function choice<const F extends string, const C extends readonly string[]>(
  flags: F,
  description: string,
  choices: C,
  options: ChoiceOptions<C[number]> & { readonly default: C[number] },
): OptionSpec<KeyOf<F>, C[number]>;
export function choice(
  flags: string,
  description: string,
  choices: readonly string[],
  options: ChoiceOptions<string> = {},
): OptionSpec {
  return spec(flags, () => {
    const option = new Option(flags, description).choices(choices);
    if (options.default !== undefined) option.default(options.default);
    if (options.env !== undefined) option.env(options.env);
    return option;
  });
}

/** `spec`, accepted but left out of `--help` (a legacy spelling Compose still takes). */
export function hidden<S extends OptionSpec>(spec: S): S {
  return { ...spec, make: () => spec.make().hideHelp() };
}

/** An option named `--no-…` that takes a value is a value, not the negation of another option. */
function literal(option: Option): Option {
  option.negate = false;
  return option;
}

/** Adds the declared options to `command`. */
export function addOptions(command: Command, specs: readonly OptionSpec[]): Command {
  for (const { make } of specs) command.addOption(make());
  return command;
}

/**
 * Commander folds `--NAME` and `--no-NAME` into one value, the last given winning; Compose treats
 * them as two flags and refuses both at once, as berth does (`--build and --no-build are incompatible`).
 */
export function refuseBoth(command: Command, name: string): Command {
  const given = new Set<string>();
  return command
    .on(`option:${name}`, () => given.add(name))
    .on(`option:no-${name}`, () => given.add(`no-${name}`))
    .hook("preAction", () => {
      if (given.size === 2) throw new UsageError(`--${name} and --no-${name} are incompatible`);
    });
}
