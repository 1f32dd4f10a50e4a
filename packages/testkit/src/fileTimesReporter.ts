// A node:test reporter that writes, for each test file, the time its tests took (the sum of its top-level tests'
// durations; start-up and before/after hooks not counted) and how many of them passed, failed and were skipped, as
// one JSON line per file. The test runner (runTests.ts) adds it next to the usual reporter and prints the slowest
// files at the end. Files run side by side, so a test's time includes waiting for the CPU the others use; the
// runner reports each file's events in file order, not as they happen, so their arrival says nothing of time.
// A test is counted for the module that declared it: tests that several files register from a shared module
// (faultCases.ts) are counted together under that module.

interface Event {
  type: string;
  data: { file?: string; name?: string; nesting?: number; skip?: unknown; todo?: unknown; details?: { duration_ms?: number } };
}

export interface FileTime {
  file: string;
  ms: number;
  passed: number;
  failed: number;
  skipped: number;
}

export default async function* fileTimes(source: AsyncIterable<Event>): AsyncGenerator<string> {
  const files = new Map<string, FileTime>();
  for await (const event of source) {
    const { file, name, nesting } = event.data;
    if (!file || nesting !== 0 || name === file) continue;
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    let entry = files.get(file);
    if (!entry) files.set(file, (entry = { file, ms: 0, passed: 0, failed: 0, skipped: 0 }));
    entry.ms += event.data.details?.duration_ms ?? 0;
    if (event.type === 'test:fail') entry.failed += 1;
    else if (event.data.skip !== undefined || event.data.todo !== undefined) entry.skipped += 1;
    else entry.passed += 1;
  }
  for (const entry of files.values()) yield `${JSON.stringify(entry)}\n`;
}
