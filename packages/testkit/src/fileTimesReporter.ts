// A node:test reporter that writes, for each test file, how long it took (from the moment the runner started it
// to the moment it started the next one, or the end) and how many of its tests passed, failed and were skipped,
// as one JSON line per file. The test runner (runTests.ts) adds it next to the usual reporter and prints the
// slowest files at the end.

interface Event {
  type: string;
  data: { file?: string; name?: string; nesting?: number; skip?: unknown; todo?: unknown };
}

export interface FileTime {
  file: string;
  ms: number;
  passed: number;
  failed: number;
  skipped: number;
}

export default async function* fileTimes(source: AsyncIterable<Event>): AsyncGenerator<string> {
  const files = new Map<string, FileTime & { startedAt: number }>();
  let current: (FileTime & { startedAt: number }) | undefined;
  const close = (at: number) => {
    if (current) current.ms = at - current.startedAt;
  };
  for await (const event of source) {
    const { file, name, nesting } = event.data;
    if (!file) continue;
    // The runner dequeues each file as a test named after the file, once, when it starts it.
    if (event.type === 'test:dequeue' && name === file && !files.has(file)) {
      const now = performance.now();
      close(now);
      current = { file, ms: 0, passed: 0, failed: 0, skipped: 0, startedAt: now };
      files.set(file, current);
      continue;
    }
    // Files run one at a time: a test belongs to the file running now, even when it was declared in a module
    // that file imports (its events then name that module).
    const entry = files.get(file) ?? current;
    if (!entry || nesting !== 0 || name === file) continue;
    if (event.type === 'test:pass') {
      if (event.data.skip !== undefined || event.data.todo !== undefined) entry.skipped += 1;
      else entry.passed += 1;
    } else if (event.type === 'test:fail') {
      entry.failed += 1;
    }
  }
  close(performance.now());
  for (const { startedAt: _, ...entry } of files.values()) yield `${JSON.stringify(entry)}\n`;
}
