// fetch_url against an SSRF corpus: every spelling of a private, loopback, link-local or
// metadata target is refused with the rule named, DNS answers are checked (a resolver the test
// controls plays the rebinding DNS server), and every redirect hop is checked again. Positive
// cases go to a target on 127.0.0.2, which the test allows explicitly; 127.0.0.1 stays blocked.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, test } from "node:test";
import type { Resolver } from "../src/tools/fetch.js";
import { callTool, startTestServer, uniqueSub, type TestServer } from "./support/harness.js";

let target: Server;
let port = 0;
let server: TestServer;
let token: string;

const dns: Record<string, string[]> = {
  "public.test": ["127.0.0.2"],
  "rebind.test": ["127.0.0.1"],
  "mixed.test": ["93.184.216.34", "10.0.0.1"],
  "v6.test": ["fd00::1"],
  "meta-alias.test": ["169.254.169.254"],
};
const resolve: Resolver = async (host) => {
  const answers = dns[host];
  if (!answers) throw Object.assign(new Error(`no such host ${host}`), { code: "ENOTFOUND" });
  return answers.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
};

before(async () => {
  target = createServer((request, response) => {
    const route = request.url ?? "/";
    if (route === "/ok")
      return response.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end("hello from the target");
    if (route === "/json") return response.writeHead(200, { "content-type": "application/json" }).end('{"a":1}');
    if (route === "/big")
      return response.writeHead(200, { "content-type": "text/plain" }).end("x".repeat(3 * 1024 * 1024));
    if (route === "/binary")
      return response.writeHead(200, { "content-type": "application/octet-stream" }).end("\u0000");
    if (route === "/redirect-ok") return response.writeHead(302, { location: "/ok" }).end();
    if (route === "/redirect-private")
      return response.writeHead(302, { location: `http://127.0.0.1:${port}/ok` }).end();
    if (route === "/redirect-metadata")
      return response.writeHead(301, { location: "http://169.254.169.254/latest/meta-data/" }).end();
    if (route === "/redirect-rebind")
      return response.writeHead(307, { location: `http://rebind.test:${port}/ok` }).end();
    if (route === "/redirect-scheme") return response.writeHead(302, { location: "file:///etc/passwd" }).end();
    const hop = /^\/chain\/(\d+)$/.exec(route);
    if (hop) return response.writeHead(302, { location: `/chain/${Number(hop[1]) + 1}` }).end();
    if (route === "/slow") return; // never answers
    response.writeHead(404).end();
  });
  await new Promise<void>((ready) => target.listen(0, "127.0.0.2", ready));
  port = (target.address() as { port: number }).port;
  server = await startTestServer(
    {
      FETCH_ALLOWED_CIDRS: "127.0.0.2/32",
      FETCH_ALLOWED_PORTS: `80,443,${port}`,
      FETCH_DENY_HOSTS: ".evil.test",
      FETCH_TIMEOUT_MS: "1000",
      FETCH_MAX_BYTES: "65536",
      RATE_LIMIT_BURST: "1000",
    },
    { resolve },
  );
  token = await server.mint({ sub: uniqueSub("fetcher"), roles: ["operator"] });
});
after(async () => {
  await server.close();
  target.closeAllConnections();
  await new Promise((done) => target.close(done));
});

async function fetchUrl(url: string) {
  const response = await callTool(server, token, "fetch_url", { url });
  assert.equal(response.status, 200);
  const { result } = (await response.json()) as { result: { isError?: boolean; content: Array<{ text: string }> } };
  return { isError: result.isError === true, text: result.content[0]?.text ?? "" };
}

const corpus: Array<[string, RegExp]> = [
  ["http://127.0.0.1/", /loopback/],
  ["http://localhost/", /localhost/],
  ["http://LOCALHOST./", /localhost/],
  ["http://app.localhost/", /localhost/],
  ["http://2130706433/", /loopback/],
  ["http://0x7f000001/", /loopback/],
  ["http://017700000001/", /loopback/],
  ["http://0177.0.0.1/", /loopback/],
  ["http://127.1/", /loopback/],
  ["http://0x7f.1/", /loopback/],
  ["http://[::1]/", /loopback/],
  ["http://[::]/", /unspecified/],
  ["http://0.0.0.0/", /0\.0\.0\.0\/8/],
  ["http://0/", /0\.0\.0\.0\/8/],
  ["http://10.0.0.1/", /private address 10\.0\.0\.0\/8/],
  ["http://0x0a.0.0.1/", /private address 10\.0\.0\.0\/8/],
  ["http://172.16.5.4/", /private address 172\.16\.0\.0\/12/],
  ["http://192.168.1.1/", /private address 192\.168\.0\.0\/16/],
  ["http://100.64.0.1/", /100\.64\.0\.0\/10/],
  ["http://169.254.169.254/latest/meta-data/", /link-local address 169\.254\.0\.0\/16/],
  ["http://[fe80::1]/", /link-local address fe80::\/10/],
  ["http://[fd00::1]/", /unique local/],
  ["http://[fc00::1]/", /unique local/],
  ["http://[::ffff:127.0.0.1]/", /IPv4-mapped/],
  ["http://[::ffff:169.254.169.254]/", /IPv4-mapped/],
  ["http://[0:0:0:0:0:ffff:a9fe:a9fe]/", /IPv4-mapped/],
  ["http://[::127.0.0.1]/", /IPv4-compatible|IPv4-mapped/],
  ["http://[64:ff9b::a00:1]/", /NAT64/],
  ["http://[2002:7f00:1::]/", /6to4/],
  ["http://224.0.0.1/", /multicast/],
  ["http://255.255.255.255/", /broadcast/],
  ["http://240.0.0.1/", /reserved/],
  ["http://metadata.google.internal/", /metadata/],
  ["http://metadata/", /metadata/],
  ["http://instance-data/", /metadata/],
  ["http://user:pass@example.com/", /userinfo/],
  ["http://example.com@127.0.0.1/", /userinfo/],
  ["http://127.0.0.1#@example.com/", /loopback/],
  ["http://127.0.0.1\\@example.com/", /loopback|userinfo/],
  ["ftp://example.com/", /scheme ftp/],
  ["file:///etc/passwd", /scheme file/],
  ["gopher://127.0.0.1:6379/_INFO", /scheme gopher/],
  ["javascript:alert(1)", /scheme javascript/],
  ["http://example.com:22/", /port 22/],
  ["https://example.com:8443/", /port 8443/],
  ["http://x.evil.test/", /deny list/],
  ["not a url", /not a valid absolute URL/],
  ["http://rebind.test/", /loopback/],
  ["http://mixed.test/", /private address 10\.0\.0\.0\/8/],
  ["http://v6.test/", /unique local/],
  ["http://meta-alias.test/", /169\.254/],
  ["http://nowhere.test/", /does not resolve/],
];

describe("fetch_url SSRF corpus", () => {
  for (const [url, rule] of corpus) {
    test(`blocked: ${url}`, async () => {
      const result = await fetchUrl(url);
      assert.equal(result.isError, true, result.text);
      assert.match(result.text, /^blocked: /);
      assert.match(result.text, rule);
    });
  }

  const hops: Array<[string, RegExp]> = [
    ["/redirect-private", /loopback/],
    ["/redirect-metadata", /169\.254/],
    ["/redirect-rebind", /loopback/],
    ["/redirect-scheme", /scheme file/],
    ["/chain/0", /more than 5 redirects/],
  ];
  for (const [path, rule] of hops) {
    test(`redirect hop checked again: ${path}`, async () => {
      const result = await fetchUrl(`http://public.test:${port}${path}`);
      assert.equal(result.isError, true, result.text);
      assert.match(result.text, rule);
    });
  }
});

describe("fetch_url positive cases and limits", () => {
  test("a permitted host is fetched, through the checked address", async () => {
    const result = await fetchUrl(`http://public.test:${port}/ok`);
    assert.equal(result.isError, false, result.text);
    assert.deepEqual(JSON.parse(result.text), {
      url: `http://public.test:${port}/ok`,
      status: 200,
      contentType: "text/plain",
      body: "hello from the target",
      truncated: false,
      redirects: 0,
    });
  });

  test("a safe redirect is followed", async () => {
    const body = JSON.parse((await fetchUrl(`http://public.test:${port}/redirect-ok`)).text) as {
      body: string;
      redirects: number;
    };
    assert.equal(body.body, "hello from the target");
    assert.equal(body.redirects, 1);
  });

  test("JSON is an allowed content type; binary is not", async () => {
    assert.equal(JSON.parse((await fetchUrl(`http://public.test:${port}/json`)).text).body, '{"a":1}');
    const binary = await fetchUrl(`http://public.test:${port}/binary`);
    assert.match(binary.text, /blocked: content type application\/octet-stream is not allowed/);
  });

  test("the body is capped", async () => {
    const result = JSON.parse((await fetchUrl(`http://public.test:${port}/big`)).text) as {
      body: string;
      truncated: boolean;
    };
    assert.equal(result.truncated, true);
    assert.equal(result.body.length, 65536);
  });

  test("a target that never answers is given up on", async () => {
    const started = Date.now();
    const result = await fetchUrl(`http://public.test:${port}/slow`);
    assert.match(result.text, /blocked: no answer within 1000 ms/);
    assert.ok(Date.now() - started < 5_000);
  });
});
