// Loads a CommonJS dependency the first time it is needed, not when the CLI starts: a command that never sends
// (a bad flag, a dry run, `runs`) then skips undici, and one without a config file skips yaml. Each costs a
// tenth to a fifth of a second of start-up, paid again by every run a cron job or a test starts.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function lazy<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(name) as T);
}
