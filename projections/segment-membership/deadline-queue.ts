/** A due-time entry: the (segment, contact) membership to re-check at `at`. */
export interface QueuedDeadline {
  readonly at: number;
  readonly segmentId: string;
  readonly contactKey: string;
}

const before = (a: QueuedDeadline, b: QueuedDeadline): boolean =>
  a.at !== b.at
    ? a.at < b.at
    : a.segmentId !== b.segmentId
      ? a.segmentId < b.segmentId
      : a.contactKey < b.contactKey;

/**
 * A binary min-heap on (at, segment, contact): the order deadlines fire in, the same however the
 * log is cut into batches. Entries are never removed early: the owner skips stale ones on pop.
 */
export class DeadlineQueue {
  private readonly heap: QueuedDeadline[] = [];

  push(entry: QueuedDeadline): void {
    const heap = this.heap;
    heap.push(entry);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(heap[index]!, heap[parent]!)) break;
      [heap[index], heap[parent]] = [heap[parent]!, heap[index]!];
      index = parent;
    }
  }

  peek(): QueuedDeadline | undefined {
    return this.heap[0];
  }

  pop(): QueuedDeadline | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    heap[0] = last;
    let index = 0;
    for (;;) {
      const left = index * 2 + 1;
      const right = left + 1;
      let smallest = index;
      if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === index) break;
      [heap[index], heap[smallest]] = [heap[smallest]!, heap[index]!];
      index = smallest;
    }
    return top;
  }
}
