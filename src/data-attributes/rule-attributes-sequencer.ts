import { Injectable } from '@nestjs/common';
import { KeyedSequencer } from '../shared/keyed-sequencer';

/**
 * Runs, one at a time per workspace, the writes that must agree on which custom attributes
 * segment rules may use: a segment rule's check of its attributes and its append, and an
 * attribute's archive (the check of the segments that use it, and the append). Run at once, each
 * passed its check before the other's write, leaving a segment on an archived attribute. It
 * orders the writes of one process.
 */
@Injectable()
export class RuleAttributesSequencer {
  private readonly sequencer = new KeyedSequencer();

  run<T>(workspaceId: string, task: () => Promise<T>): Promise<T> {
    return this.sequencer.run([workspaceId], task);
  }
}
