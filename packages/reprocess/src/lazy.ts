// Loads a CommonJS dependency the first time it is needed, not when the CLI starts: a command that never sends
// (a bad flag, a dry run, `runs`) then skips undici, and one without a config file skips yaml. Each costs a
// tenth to a fifth of a second of start-up, paid again by every run a cron job or a test starts.
// In the CLI's bundle (scripts/bundle.js) each of these is a bundled file of its own next to the CLI's, loaded the
// same way; the bundle step checks that its list matches this one.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const LAZY_DEPENDENCIES = ['undici', 'yaml', 'pg-cursor', 'prom-client'] as const;

export function lazy<T>(name: (typeof LAZY_DEPENDENCIES)[number]): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(name) as T);
}
