/** An empty variable (`STRANGLER_ADMIN_TOKEN=` from a template .env) counts as unset, with a warning on stderr. */
export function envSetting(env: NodeJS.ProcessEnv, name: string, warn: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): string | undefined {
  const v = env[name];
  if (v === undefined) return undefined;
  if (v.trim() === '') {
    warn(`strangler: warning: ${name} is set but empty; treated as unset`);
    return undefined;
  }
  return v;
}
