/** At most `max` items; stops pulling from the source once they are taken. */
export async function* take<T>(items: AsyncIterable<T>, max: number): AsyncGenerator<T, void, void> {
  if (max <= 0) return;
  let taken = 0;
  for await (const item of items) {
    yield item;
    if (++taken >= max) return;
  }
}
