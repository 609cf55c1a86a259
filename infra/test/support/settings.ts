// The smallest valid local stack, for tests that need settings but not a stack file.
export const MINIMAL_LOCAL_SETTINGS = {
  platform: "local",
  mcpHost: "mcp.example.test",
  authIssuer: "https://idp.example.test",
  authJwksUrl: "https://idp.example.test/jwks.json",
  neo4jStorageClass: "standard",
  imageRepository: "localhost:5001/mcp-bastion",
} as const;
