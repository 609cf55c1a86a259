// The nodes a backup has already written, one bit each: a relationship whose endpoints are
// among them names them by id alone, so a node's properties are written once, not once per
// relationship. The backup and the restore's verification build the same set from the same
// records in the same order, so both agree on which ids it holds.

/**
 * Neo4j's node element ids end in the store's numeric id, `4:<database uuid>:<id>`: an element id
 * as the prefix up to its last colon and the 1 to 15 digits after it (below 10^15, so exact as a
 * number, and without a leading zero), if it has that form. Read by hand: the backup and the restore ask it of every line.
 */
export function splitElementId(elementId: string): { prefix: string; id: number } | undefined {
  const colon = elementId.lastIndexOf(":");
  const digits = elementId.length - colon - 1;
  if (colon < 0 || digits < 1 || digits > 15) return undefined;
  // Neo4j writes no leading zero: `…:07` and `…:7` would otherwise name one node by two ids.
  if (digits > 1 && elementId.charCodeAt(colon + 1) === 48) return undefined;
  let id = 0;
  for (let index = colon + 1; index < elementId.length; index += 1) {
    const digit = elementId.charCodeAt(index) - 48;
    if (digit < 0 || digit > 9) return undefined;
    id = id * 10 + digit;
  }
  return { prefix: elementId.slice(0, colon + 1), id };
}
const PAGE_BITS = 8192;

export class NodeIdSet {
  private readonly pages = new Map<number, Uint32Array>();
  private prefix: string | undefined;

  /** At most `maxPages` pages of 1 KiB: ids spread wider than that are simply not held. */
  constructor(private readonly maxPages = 16 * 1024) {}

  /** Adds an id; false when it cannot be held (not a numeric element id, another database's, or too sparse). */
  add(elementId: string): boolean {
    const slot = this.slot(elementId);
    if (!slot) return false;
    let page = this.pages.get(slot.page);
    if (!page) {
      if (this.pages.size >= this.maxPages) return false;
      page = new Uint32Array(PAGE_BITS / 32);
      this.pages.set(slot.page, page);
    }
    page[slot.word] = (page[slot.word] ?? 0) | slot.mask;
    this.prefix ??= slot.prefix;
    return true;
  }

  has(elementId: string): boolean {
    const slot = this.slot(elementId);
    if (!slot) return false;
    return ((this.pages.get(slot.page)?.[slot.word] ?? 0) & slot.mask) !== 0;
  }

  private slot(elementId: string): { prefix: string; page: number; word: number; mask: number } | undefined {
    const split = splitElementId(elementId);
    if (!split) return undefined;
    const { prefix, id } = split;
    if (this.prefix !== undefined && prefix !== this.prefix) return undefined;
    const bit = id % PAGE_BITS;
    return { prefix, page: Math.floor(id / PAGE_BITS), word: bit >>> 5, mask: (1 << (bit & 31)) >>> 0 };
  }
}
