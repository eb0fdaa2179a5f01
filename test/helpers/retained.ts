import type { Aedes } from 'aedes';

/** The topics an aedes broker holds a retained message for (its real persistence, `$SYS` left out). */
export async function storedRetainedTopics(aedes: Aedes): Promise<string[]> {
  const persistence = (aedes as unknown as { persistence: { createRetainedStream(pattern: string): AsyncIterable<{ topic: string }> } }).persistence;
  const topics: string[] = [];
  for await (const packet of persistence.createRetainedStream('#')) topics.push(packet.topic);
  return topics.filter((t) => !t.startsWith('$'));
}
