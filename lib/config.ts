import { z } from 'zod';

/**
 * Config is read from the environment once, at start-up, by the entry point
 * (never at import time), and validated with one message per bad field.
 */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function formatZodIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}

export function parseConfig<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ConfigError(formatZodIssues(result.error));
  return result.data;
}

/** Reusable field helpers. */
export const port = (def: number) => z.coerce.number().int().min(0).max(65535).default(def);
export const url = (def: string) => z.string().url().default(def);
export const bool = (def: boolean) =>
  z.preprocess((v) => (typeof v === 'string' ? ['1', 'true', 'yes', 'on'].includes(v.toLowerCase()) : v), z.boolean()).default(def);
export const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

export const DEFAULT_MYSQL_URL = 'mysql://root@127.0.0.1:3306/legacy';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
