// Waiting for a cluster to converge: controllers act when they act, so tests poll for the state
// they expect, with a deadline that names what never came.

/** Resolves with the first value `probe` gives that is not undefined (a throwing probe counts as not yet). */
export async function until<T>(
  what: string,
  seconds: number,
  probe: () => Promise<T | undefined>,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Whether a cert-manager object (Certificate, Issuer) reports the Ready condition True. */
export const isReady = (object: { status?: { conditions?: Array<{ type: string; status: string }> } }): boolean =>
  object.status?.conditions?.some((condition) => condition.type === "Ready" && condition.status === "True") ?? false;
