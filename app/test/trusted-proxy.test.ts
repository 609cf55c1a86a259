// Which peers' X-Forwarded-For is believed: pure checks of the trust function fastify uses.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseTrustedProxies, trustProxyFunction } from "../src/guards/trusted-proxy.js";

describe("trusted proxies", () => {
  test("none configured: no peer is believed", () => {
    assert.equal(trustProxyFunction([]), false);
  });

  test("addresses and ranges match exactly what they name, IPv4-mapped peers included", () => {
    const trust = trustProxyFunction(parseTrustedProxies(["10.42.0.0/16", "127.0.0.1", "fd00::/8"]));
    assert.ok(trust);
    for (const address of ["10.42.3.4", "127.0.0.1", "::ffff:127.0.0.1", "::ffff:10.42.0.9", "fd12::1"])
      assert.equal(trust(address), true, address);
    for (const address of ["10.43.0.1", "127.0.0.2", "192.168.1.1", "::1", "fe80::1", "not-an-address", ""])
      assert.equal(trust(address), false, address);
  });

  test("bad entries are named", () => {
    assert.throws(
      () => parseTrustedProxies(["ingress-nginx"]),
      /'ingress-nginx' is neither an address nor a CIDR range/,
    );
    assert.throws(() => parseTrustedProxies(["10.0.0.0/40"]), /'10.0.0.0\/40' is not a CIDR range/);
  });
});
