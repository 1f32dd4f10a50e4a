// Resolves the run settings from four layers: flags win, then environment, then the YAML config file, then
// defaults. A bad value is reported with where it came from (flag, variable, or file:line) and exit code 2.
import { readFileSync } from 'node:fs';
import { LineCounter, isMap, isScalar, parseDocument } from 'yaml';
import { InputError } from '../errors.js';
import { SETTINGS, SETTINGS_SCHEMA, SECRET_KEYS, flagName, settingByKey, type Settings } from './settings.js';

type Origin = string;
interface Layered { value: unknown; origin: Origin }

const camel = (text: string) => text.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Commander's attribute name for a flag ("--db-url <url>" -> "dbUrl"). */
export function flagAttribute(flag: string): string {
  return camel((flag.split(' ')[0] ?? '').replace(/^--/, ''));
}

function fromFlags(flags: Record<string, unknown>): Map<string, Layered> {
  const out = new Map<string, Layered>();
  for (const s of SETTINGS) {
    if (!('flag' in s)) continue;
    const value = flags[flagAttribute(s.flag)];
    if (value !== undefined) out.set(s.key, { value, origin: flagName(s) ?? s.key });
  }
  return out;
}

function fromEnv(env: NodeJS.ProcessEnv): Map<string, Layered> {
  const out = new Map<string, Layered>();
  for (const s of SETTINGS) {
    const value = env[s.env];
    if (value !== undefined && value !== '') out.set(s.key, { value, origin: `environment variable ${s.env}` });
  }
  return out;
}

function fromFile(path: string): Map<string, Layered> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(`config file ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : lineCounter.linePos(offset).line);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new InputError(`config file ${path}:${lineOf(e.pos[0])}: not valid YAML (${e.message.split('\n')[0]})`);
  }
  const out = new Map<string, Layered>();
  if (doc.contents === null) return out;
  if (!isMap(doc.contents)) throw new InputError(`config file ${path}:1: expected a map of settings (key: value)`);
  for (const pair of doc.contents.items) {
    const keyNode = pair.key;
    const rawKey = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
    const line = lineOf(isScalar(keyNode) ? keyNode.range?.[0] : undefined);
    const key = camel(rawKey);
    const alias = SETTINGS.find((s) => 'flag' in s && flagAttribute(s.flag) === key)?.key;
    const setting = settingByKey(key) ?? (alias ? settingByKey(alias) : undefined);
    if (!setting) throw new InputError(`config file ${path}:${line}: unknown setting "${rawKey}"`);
    const valueNode = pair.value;
    out.set(setting.key, { value: isScalar(valueNode) ? valueNode.value : (valueNode as { toJSON(): unknown })?.toJSON?.(), origin: `${path}:${line} (${rawKey})` });
  }
  return out;
}

export interface LoadedSettings {
  settings: Settings;
  /** Where each explicitly set value came from, for `--show-config` style output. */
  origins: Record<string, string>;
}

export function loadSettings(input: { flags: Record<string, unknown>; env: NodeJS.ProcessEnv; configFile?: string | undefined }): LoadedSettings {
  const layers = [
    input.configFile ? fromFile(input.configFile) : new Map<string, Layered>(),
    fromEnv(input.env),
    fromFlags(input.flags),
  ];
  const merged = new Map<string, Layered>();
  for (const layer of layers) for (const [k, v] of layer) merged.set(k, v);
  const raw = Object.fromEntries([...merged].map(([k, v]) => [k, v.value]));
  const parsed = SETTINGS_SCHEMA.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const origin = merged.get(key)?.origin ?? key;
      const shown = SECRET_KEYS.has(key) ? '' : ` (got ${JSON.stringify(merged.get(key)?.value)})`;
      return `${origin}: ${issue.message}${shown}`;
    });
    throw new InputError(`invalid setting${problems.length > 1 ? 's' : ''}:\n  ${problems.join('\n  ')}`);
  }
  return { settings: parsed.data, origins: Object.fromEntries([...merged].map(([k, v]) => [k, v.origin])) };
}

/** The settings with every secret replaced, safe for logs, journals and reports. */
export function redactSettings(settings: Settings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    out[key] = SECRET_KEYS.has(key) ? (value === undefined ? undefined : '(set, hidden)') : value;
  }
  return out;
}
