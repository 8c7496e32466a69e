/** `1 event`, `2,000 events`, `3 batches`: a count with its noun, for messages and summaries. */
export function plural(count: number, noun: string): string {
  const many = /(ch|sh|s|x)$/.test(noun) ? `${noun}es` : `${noun}s`;
  return `${count.toLocaleString('en-US')} ${count === 1 ? noun : many}`;
}
