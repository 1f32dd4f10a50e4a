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
        throw new InputError(`${origin}: ${path} holds binary data (a NUL byte on this line), not UTF-8 text; nothing was sent`);
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
  const head = Buffer.alloc(4096);
  const { bytesRead } = await handle.read(head, 0, head.length, 0);
  const notText = whyNotText(head.subarray(0, bytesRead));
  if (notText) {
    await handle.close();
    throw new InputError(`${path}: ${notText}; nothing was sent`);
  }
  return handle;
}

/** Compressed files by their magic bytes; each with the command that unpacks it. */
const COMPRESSED: readonly { magic: readonly number[]; what: string; unpack: string }[] = [
  { magic: [0x1f, 0x8b], what: 'gzip-compressed', unpack: 'gunzip -k' },
  { magic: [0x50, 0x4b, 0x03, 0x04], what: 'a zip archive', unpack: 'unzip' },
  { magic: [0x42, 0x5a, 0x68], what: 'bzip2-compressed', unpack: 'bunzip2 -k' },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'xz-compressed', unpack: 'unxz -k' },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], what: 'zstd-compressed', unpack: 'unzstd' },
];

/** Why the start of a file shows it is not UTF-8 text (compressed, UTF-16, binary), or null. */
export function whyNotText(head: Uint8Array): string | null {
  for (const c of COMPRESSED) {
    if (c.magic.every((byte, i) => head[i] === byte)) return `is ${c.what}, not a text file; unpack it first (${c.unpack})`;
  }
  const utf16 = 'is UTF-16 text; save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)';
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return utf16;
  let nulOdd = 0;
  let nulEven = 0;
  head.forEach((byte, i) => {
    if (byte === 0) {
      if (i % 2 === 1) nulOdd++;
      else nulEven++;
    }
  });
  if (nulOdd + nulEven === 0) return null;
  // ASCII saved as UTF-16 without a byte order mark: every other byte is NUL.
  const pairs = Math.floor(head.length / 2);
  if ((nulOdd >= pairs * 0.9 && nulEven === 0) || (nulEven >= pairs * 0.9 && nulOdd === 0)) return utf16;
  const first = head.indexOf(0);
  const line = 1 + head.subarray(0, first).reduce((n, byte) => n + (byte === 0x0a ? 1 : 0), 0);
  return `is a binary file, not text: its first NUL byte is on line ${line} (byte offset ${first} of the file)`;
}
