/**
 * Stage 10: which services are active. A service without `profiles` is always active; one with
 * profiles is active when one of them is enabled (`--profile`, COMPOSE_PROFILES, `*` for all), or
 * when it is named on the command line — naming a service enables all of its profiles, as Compose does.
 */

interface WithProfiles {
  readonly profiles?: readonly string[] | undefined;
}

export interface ProfileSelection {
  readonly profiles: readonly string[];
  /** Services named on the command line. */
  readonly services: readonly string[];
}

/** `--profile` flags win; otherwise COMPOSE_PROFILES, comma-separated. */
export function requestedProfiles(
  flags: readonly string[],
  env: (name: string) => string | undefined,
): string[] {
  if (flags.length > 0) return [...flags];
  const raw = env("COMPOSE_PROFILES") ?? "";
  return raw
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

export function activeServices(
  services: Readonly<Record<string, WithProfiles>>,
  selection: ProfileSelection,
): Set<string> {
  const enabled = new Set(selection.profiles);
  for (const name of selection.services) {
    for (const profile of services[name]?.profiles ?? []) enabled.add(profile);
  }
  const active = new Set<string>();
  for (const [name, service] of Object.entries(services)) {
    const profiles = service.profiles ?? [];
    if (profiles.length === 0 || enabled.has("*") || profiles.some((p) => enabled.has(p))) active.add(name);
  }
  return active;
}

/** Every profile any service declares, sorted: what `config --profiles` prints. */
export function allProfiles(services: Readonly<Record<string, WithProfiles>>): string[] {
  const set = new Set<string>();
  for (const service of Object.values(services)) for (const p of service.profiles ?? []) set.add(p);
  return [...set].sort();
}
