// The one reader of Kubernetes quantities (250m, 2, 512Mi, 20Gi) in the Pulumi program: the
// settings compare requests with limits through it, and the charts turn settings into sizes.

const UNITS = { "": 1, m: 0.001, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 } as const;
export type QuantityUnit = keyof typeof UNITS;

const QUANTITY = /^([0-9]+(?:\.[0-9]+)?)(m|Ki|Mi|Gi|Ti)?$/;

/** A quantity's number and unit as written, or undefined when it is not one. */
export function parseQuantity(quantity: string): { amount: number; unit: QuantityUnit } | undefined {
  const match = QUANTITY.exec(quantity);
  if (!match) return undefined;
  return { amount: Number(match[1]), unit: (match[2] ?? "") as QuantityUnit };
}

/** A Kubernetes quantity as a number (cores or bytes), for comparing requests with limits; NaN if it is not one. */
export function quantityValue(quantity: string): number {
  const parsed = parseQuantity(quantity);
  return parsed ? parsed.amount * UNITS[parsed.unit] : Number.NaN;
}

/** A whole amount in one of the given units, as a number of `per` (bytes by default); throws naming the setting otherwise. */
export function wholeAmount(quantity: string, units: readonly QuantityUnit[], what: string, per = 1): number {
  const parsed = parseQuantity(quantity);
  if (!parsed || !Number.isInteger(parsed.amount) || parsed.amount < 1 || !units.includes(parsed.unit)) {
    throw new Error(`${what} ${quantity} must be a whole number of ${units.join(" or ")}`);
  }
  return (parsed.amount * UNITS[parsed.unit]) / per;
}
