/** Parses an age like "1d", "36h", "90m", "45s" (or a decimal, "1.5d") into seconds; null when malformed. */
export function parseDuration(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(d|h|m|s)\s*$/i.exec(text);
  if (!match) return null;
  const unit = { d: 86400, h: 3600, m: 60, s: 1 }[match[2]!.toLowerCase() as 'd' | 'h' | 'm' | 's'];
  return Number(match[1]) * unit;
}

export function formatDuration(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
