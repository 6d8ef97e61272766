import type { EventPublisher, PublishedRecord } from '../shared';

/**
 * Collects what one unit of work publishes and publishes it all in ONE bus.publish (one broker
 * round trip, one acks=-1 wait) when flushed. Records are kept per section (one per command or
 * outcome of a group of runs) and go out in section order, so each command's pushes keep their place
 * whatever order the unit of work produced them in.
 */
export class CollectingPublisher {
  private readonly sections = new Map<number, PublishedRecord[]>();

  constructor(private readonly bus: EventPublisher) {}

  /** A publisher whose records go out after those of every lower section. */
  section(index: number): EventPublisher {
    return {
      publish: async (records) => {
        const section = this.sections.get(index) ?? [];
        section.push(...records);
        this.sections.set(index, section);
      },
    };
  }

  /** Publishes everything collected (nothing when empty); resolves once the bus acknowledged it. */
  flush(): Promise<void> {
    return this.flushWith();
  }

  /**
   * Publishes what this and `others` collected in ONE bus.publish: section by section, within a
   * section this one's records first, then each other's in turn.
   */
  async flushWith(...others: CollectingPublisher[]): Promise<void> {
    const all = [this, ...others];
    const sections = [...new Set(all.flatMap((publisher) => [...publisher.sections.keys()]))].sort(
      (a, b) => a - b,
    );
    const records = sections.flatMap((section) =>
      all.flatMap((publisher) => publisher.sections.get(section) ?? []),
    );
    for (const publisher of all) publisher.sections.clear();
    if (records.length > 0) {
      await this.bus.publish(records);
    }
  }
}
