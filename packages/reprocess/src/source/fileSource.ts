// Reads a --file line by line (a file may hold hundreds of thousands of packets) and validates all of it
// before returning anything: one bad line stops the run, with every bad line listed.
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { InputError } from '../errors.js';
import { EntryDeduper } from './dedupe.js';
import {
  isSkippable, looksLikeHeader, parseHeader, parsePacketLine, describeProblem,
  type Layout, type ParsedEntry,
} from './packetLine.js';
import { ProblemList } from './problems.js';

export interface FileEntries {
  /** Valid entries in file order, duplicates removed. */
  entries: ParsedEntry[];
  /** Lines dropped because an earlier line names the same workflow instance (or the same RID, for RID-only lines). */
  duplicates: number;
}

const BOM = '\uFEFF';

export async function readPacketFile(path: string): Promise<FileEntries> {
  const handle = await openRegularFile(path);
  const entries: ParsedEntry[] = [];
  const problems = new ProblemList();
  const deduper = new EntryDeduper();
  let duplicates = 0;
  let layout: Layout | undefined;
  let seenContent = false;
  let lineNo = 0;

  try {
    const lines = createInterface({ input: handle.createReadStream({ encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const rawLine of lines) {
      lineNo++;
      const line = lineNo === 1 && rawLine.startsWith(BOM) ? rawLine.slice(1) : rawLine;
      const origin = `${path}:${lineNo}`;
      if (line.includes('\u0000')) {
        throw new InputError(`${origin}: ${path} is not UTF-8 text (NUL bytes; saved as UTF-16?); nothing was sent`);
      }
      if (isSkippable(line)) continue;

      if (looksLikeHeader(line)) {
        if (seenContent) {
          problems.add(origin, [{ reason: 'looks like a header row; only the first non-comment line may be one' }]);
          continue;
        }
        const header = parseHeader(line);
        // Without a usable header no later line can be read right, so stop here.
        if ('issues' in header) throw new InputError(`${describeProblem({ origin, issues: header.issues })}; nothing was sent`);
        layout = header.layout;
        seenContent = true;
        continue;
      }
      seenContent = true;

      const parsed = parsePacketLine(line, origin, layout);
      if (parsed.kind === 'skip') continue;
      if (parsed.kind === 'problem') {
        problems.add(origin, parsed.issues);
        continue;
      }
      const outcome = deduper.add(parsed);
      if (outcome.kind === 'duplicate') duplicates++;
      else if (outcome.kind === 'conflict') problems.add(origin, outcome.issues);
      else entries.push(parsed);
    }
  } finally {
    await handle.close();
  }

  problems.throwIfAny(path);
  if (entries.length === 0 && duplicates === 0) {
    throw new InputError(`${path}: holds no packet lines (only blanks, comments or a header); nothing was sent`);
  }
  return { entries, duplicates };
}

/** Opens the file, turning "missing", "a directory" and "no permission" into InputErrors. */
async function openRegularFile(path: string) {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new InputError(`cannot read ${path}: ${(err as Error).message}`);
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw new InputError(`cannot read ${path}: not a regular file`);
  }
  return handle;
}
